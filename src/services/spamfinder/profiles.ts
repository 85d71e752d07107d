// Filter profiles: which action each filter takes for a mail, chosen by its recipients. A
// recipient address assignment wins over its domain, a domain over its parent domains, else
// "default" (built in, overridable in the config). The spamfinder stage splits a mail whose
// recipients have different profiles (stage.ts), so every mail it judges has one profile; given
// several recipients this takes the first assigned one's.
import { profileSchema, type FilterProfile, type SpamfinderConfig } from './config.ts';

export interface ChosenProfile {
  name: string;
  profile: FilterProfile;
}

const BUILT_IN: FilterProfile = profileSchema.parse({});

export function profileFor(recipients: string[], cfg: Pick<SpamfinderConfig, 'profiles' | 'assign'>): ChosenProfile {
  const assign = new Map(Object.entries(cfg.assign).map(([k, v]) => [k.toLowerCase(), v]));
  for (const r of recipients) {
    const a = r.toLowerCase();
    let name = assign.get(a);
    for (let d = a.slice(a.lastIndexOf('@') + 1); !name && d; d = d.includes('.') ? d.slice(d.indexOf('.') + 1) : '') name = assign.get(d);
    if (name && cfg.profiles[name]) return { name, profile: cfg.profiles[name] };
  }
  return { name: 'default', profile: cfg.profiles.default ?? BUILT_IN };
}
