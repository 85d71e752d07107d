// mail-sealer: stages seal-in (decrypt / verify) and seal-out (sign / encrypt) by policy.
// Policies and crypto come with the MailSealer issue; with no policy it passes mail unchanged.
import { pipelineService } from '../pass-through-stage.ts';

export const createMailSealer = () =>
  pipelineService({
    name: 'mail-sealer',
    description: 'Decrypts and verifies incoming mail (seal-in), signs and encrypts outgoing mail (seal-out) by policy',
    stages: ['seal-in', 'seal-out'],
  });
