// The stage of a pipeline service whose filters are not configured yet: the flow engine passes
// mail on unchanged while configured() is false (see StageRunner). Later issues give each
// service its real stage; until then a configured() of false is the honest answer.
import type { StageName } from '../core/mail.ts';
import type { Stage } from '../flow/stage.ts';
import type { Service, ServiceKind, ServiceName } from './service.ts';

export function unconfiguredStage(name: StageName): Stage {
  return {
    name,
    async process() {
      return { outcome: { kind: 'advance', note: 'no filters configured' } };
    },
  };
}

export interface PipelineServiceSpec {
  name: ServiceName;
  description: string;
  stages: StageName[];
}

export function pipelineService(spec: PipelineServiceSpec): Service {
  return {
    name: spec.name,
    kind: 'pipeline' satisfies ServiceKind,
    description: spec.description,
    essential: true,
    deactivatable: false,
    mailHandling: true,
    stages: spec.stages.map(unconfiguredStage),
    configured: () => false,
    async start() {},
    async stop() {},
  };
}
