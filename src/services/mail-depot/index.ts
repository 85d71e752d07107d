// mail-depot: stage depot, archives every mail. The archive comes with the MailDepot issue;
// until configured it passes mail on.
import { pipelineService } from '../pass-through-stage.ts';

export const createMailDepot = () =>
  pipelineService({
    name: 'mail-depot',
    description: 'Archives every mail: compressed, encrypted, tamper-evident and searchable',
    stages: ['depot'],
  });
