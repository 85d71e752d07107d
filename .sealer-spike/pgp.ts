import { readFileSync } from 'node:fs';
import * as openpgp from 'openpgp';
const k = await openpgp.readKey({ armoredKey: readFileSync('/tmp/spike/bob.asc', 'utf8') });
console.log(k.getUserIDs(), k.users.map(u => u.userID?.email));
try { console.log((await k.getEncryptionKey()).getKeyID().toHex()); } catch (e) { console.log('ERR', (e as Error).message); }
