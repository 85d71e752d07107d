// spamfinder: stage spamfinder, the phase-2 content filters (lists, fuzzy, Bayes, virus) that
// decide a verdict and a queue. Filters come with the Spamfinder issue; until configured it passes mail on.
import { pipelineService } from '../pass-through-stage.ts';

export const createSpamfinder = () =>
  pipelineService({
    name: 'spamfinder',
    description: 'Checks mail with the phase-2 filters (allow/block lists, fuzzy, Bayes, virus) and moves it to Spam, Virus or CISS quarantine',
    stages: ['spamfinder'],
  });
