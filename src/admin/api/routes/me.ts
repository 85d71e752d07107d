// /api/v1/me: the caller's own mail, for every role (the user console): who am I, my quarantined
// mail in the spam and CISS quarantines (deliver, delete, allow-list the sender on my own AWL),
// and my own allow and block lists. Promises: "own" means addressed to the caller's e-mail
// address; a mail also addressed to anyone else, or in the virus quarantine, is answered as not
// found, never shown or acted on; API tokens and users without an address get NO_MAIL_ADDRESS.
import type { FastifyInstance, FastifyRequest } from 'fastify';
import type { ApplianceControl, MailDetail } from '../../../services/system-manager/control.ts';
import { ControlError } from '../../../services/system-manager/control.ts';
import { QUARANTINE_SORTS, type QuarantinedMail } from '../../../services/spamfinder/control.ts';
import type { UserControl } from '../../auth/users.ts';
import { UserError } from '../../auth/roles.ts';
import { OWN_LIST_NAMES, ownerOf, type OwnListName } from '../../auth/own-lists.ts';
import { callerOf } from '../caller.ts';
import { problemResponses } from '../schemas.ts';
import { spamfinderOf } from './quarantine.ts';

/** The quarantines a user sees; virus mail stays with the admins. */
export const OWN_QUARANTINES = ['spam', 'ciss'] as const;
type OwnQuarantine = (typeof OWN_QUARANTINES)[number];
/** How many of the newest matching quarantined mails an own listing looks through. */
const OWN_WINDOW = 1000;

const idParams = { type: 'object', required: ['id'], properties: { id: { type: 'string', minLength: 1, maxLength: 128 } } } as const;
const ownMailSchema = {
  type: 'object',
  required: ['id', 'queue', 'receivedAt', 'size', 'sender', 'subject', 'filter', 'reason', 'score'],
  properties: {
    id: { type: 'string' },
    queue: { type: 'string' },
    receivedAt: { type: 'number' },
    size: { type: 'integer' },
    sender: { type: 'string' },
    subject: { type: 'string' },
    filter: { type: ['string', 'null'] },
    reason: { type: ['string', 'null'] },
    score: { type: ['number', 'null'] },
  },
} as const;

interface ListQuery {
  queue: OwnQuarantine;
  search?: string;
  sort?: (typeof QUARANTINE_SORTS)[number];
  order?: 'asc' | 'desc';
  limit: number;
  offset: number;
}

const onlyTo = (recipients: string[], me: string) => recipients.length > 0 && recipients.every((r) => r.toLowerCase() === me);
const own = ({ recipients: _r, ...m }: QuarantinedMail) => m;

export function registerMeRoutes(app: FastifyInstance, control: ApplianceControl, users: UserControl): void {
  /** The caller's mail address (lower case), or NO_MAIL_ADDRESS. */
  async function addressOf(req: FastifyRequest): Promise<string> {
    const c = callerOf(req);
    const u = c?.kind === 'session' ? await users.get(c.name) : null;
    const a = u?.email ? ownerOf(u.email) : '';
    if (!a) throw new UserError('NO_MAIL_ADDRESS', c?.kind === 'session' ? `the user ${c.name} has no e-mail address` : 'only a console user has own mail');
    return a;
  }

  /** A quarantined mail addressed to `me` alone, in a quarantine users may see; else MAIL_NOT_YOURS. */
  async function ownMail(id: string, me: string): Promise<MailDetail> {
    const notYours = () => new UserError('MAIL_NOT_YOURS', `no mail ${id} in your quarantine`);
    let m: MailDetail;
    try {
      m = await spamfinderOf(control).quarantine.get(id);
    } catch (err) {
      if (err instanceof ControlError && (err.code === 'MAIL_NOT_FOUND' || err.code === 'MAIL_WRONG_QUEUE')) throw notYours();
      throw err;
    }
    const inOwn = (OWN_QUARANTINES as readonly string[]).includes(m.queue.replace(/^quarantine:/, ''));
    if (!inOwn || !onlyTo(m.envelope.recipients.map((r) => r.address), me)) throw notYours();
    return m;
  }

  app.get(
    '/api/v1/me',
    {
      schema: {
        operationId: 'me',
        tags: ['me'],
        summary: 'Who is calling: name, role and the e-mail address whose mail is "own"',
        response: { 200: { type: 'object', required: ['name', 'role', 'email'], properties: { name: { type: 'string' }, role: { type: 'string' }, email: { type: ['string', 'null'] } } }, ...problemResponses },
      },
    },
    async (req) => {
      const c = callerOf(req)!;
      const u = c.kind === 'session' ? await users.get(c.name) : null;
      return { name: c.name, role: c.role, email: u?.email ?? null };
    },
  );

  app.get<{ Querystring: ListQuery }>(
    '/api/v1/me/quarantine',
    {
      schema: {
        operationId: 'listOwnQuarantine',
        tags: ['me'],
        summary: 'The caller\'s own mail in the spam or CISS quarantine (addressed to the caller alone)',
        querystring: {
          type: 'object',
          additionalProperties: false,
          properties: {
            queue: { type: 'string', enum: OWN_QUARANTINES, default: 'spam' },
            search: { type: 'string', maxLength: 200 },
            sort: { type: 'string', enum: QUARANTINE_SORTS, default: 'received' },
            order: { type: 'string', enum: ['asc', 'desc'], default: 'desc' },
            limit: { type: 'integer', minimum: 1, maximum: 500, default: 100 },
            offset: { type: 'integer', minimum: 0, default: 0 },
          },
        },
        response: {
          200: { type: 'object', required: ['mails', 'total', 'limit', 'offset'], properties: { mails: { type: 'array', items: ownMailSchema }, total: { type: 'integer' }, limit: { type: 'integer' }, offset: { type: 'integer' } } },
          ...problemResponses,
        },
      },
    },
    async (req) => {
      const me = await addressOf(req);
      const q = req.query;
      // The spamfinder's search narrows to mail mentioning the address; the exact check follows.
      const { mails } = await spamfinderOf(control).quarantine.list({ queue: q.queue, search: me, sort: q.sort, order: q.order, limit: OWN_WINDOW, offset: 0 });
      let mine = mails.filter((m) => onlyTo(m.recipients, me));
      const s = q.search?.trim().toLowerCase();
      if (s) mine = mine.filter((m) => [m.sender, m.subject, m.filter ?? '', m.reason ?? ''].some((x) => x.toLowerCase().includes(s)));
      return { mails: mine.slice(q.offset, q.offset + q.limit).map(own), total: mine.length, limit: q.limit, offset: q.offset };
    },
  );

  app.get<{ Params: { id: string } }>(
    '/api/v1/me/quarantine/:id',
    { schema: { operationId: 'getOwnQuarantined', tags: ['me'], summary: 'One of the caller\'s quarantined mails with its tracking', params: idParams, response: { 200: { $ref: 'MailDetail#' }, ...problemResponses } } },
    async (req) => ownMail(req.params.id, await addressOf(req)),
  );

  const actions = {
    deliver: 'Deliver one of the caller\'s quarantined mails',
    delete: 'Delete one of the caller\'s quarantined mails',
    allow: 'Deliver one of the caller\'s quarantined mails and put its sender on the caller\'s own allow list (AWL)',
  } as const;
  for (const [action, summary] of Object.entries(actions) as [keyof typeof actions, string][]) {
    app.post<{ Params: { id: string } }>(
      `/api/v1/me/quarantine/:id/${action}`,
      { schema: { operationId: `${action}OwnQuarantined`, tags: ['me'], summary, params: idParams, response: { 200: { $ref: 'MailRecord#' }, ...problemResponses } } },
      async (req) => {
        const me = await addressOf(req);
        const m = await ownMail(req.params.id, me);
        const actor = callerOf(req)!.name;
        const q = spamfinderOf(control).quarantine;
        if (action === 'delete') return q.delete(m.id, actor);
        const sender = m.envelope.sender.toLowerCase();
        if (action === 'allow' && !sender) throw new UserError('USER_INVALID', `mail ${m.id} has no sender address to allow-list`);
        const r = await q.deliver(m.id, actor);
        if (action === 'allow') await users.ownLists?.add(me, 'awl', sender, `allowed from my quarantine (mail ${m.id})`, actor);
        return r;
      },
    );
  }

  app.get(
    '/api/v1/me/lists',
    {
      schema: {
        operationId: 'listOwnFilterEntries',
        tags: ['me'],
        summary: 'The caller\'s own allow and block list entries (AWL, DWL, ABL, DBL)',
        response: { 200: { type: 'object', required: ['entries'], properties: { entries: { type: 'array', items: { $ref: 'FilterListEntry#' } } } }, ...problemResponses },
      },
    },
    async (req) => ({ entries: await ownListsOf(users).list(await addressOf(req)) }),
  );

  app.post<{ Body: { list: OwnListName; value: string; comment?: string } }>(
    '/api/v1/me/lists',
    {
      schema: {
        operationId: 'addOwnFilterEntry',
        tags: ['me'],
        summary: 'Add an entry to one of the caller\'s own lists (an existing equal entry is returned)',
        body: {
          type: 'object',
          additionalProperties: false,
          required: ['list', 'value'],
          properties: { list: { type: 'string', enum: OWN_LIST_NAMES }, value: { type: 'string', minLength: 1, maxLength: 320 }, comment: { type: 'string', maxLength: 500 } },
        },
        response: { 200: { $ref: 'FilterListEntry#' }, ...problemResponses },
      },
    },
    async (req) => ownListsOf(users).add(await addressOf(req), req.body.list, req.body.value, req.body.comment ?? null, callerOf(req)!.name),
  );

  app.delete<{ Params: { id: number } }>(
    '/api/v1/me/lists/:id',
    {
      schema: {
        operationId: 'removeOwnFilterEntry',
        tags: ['me'],
        summary: 'Remove an entry from the caller\'s own lists',
        params: { type: 'object', required: ['id'], properties: { id: { type: 'integer', minimum: 1 } } },
        response: { 204: { type: 'null' }, ...problemResponses },
      },
    },
    async (req, reply) => {
      await ownListsOf(users).remove(await addressOf(req), req.params.id, callerOf(req)!.name);
      return reply.code(204).send();
    },
  );
}

function ownListsOf(users: UserControl) {
  if (!users.ownLists) throw new ControlError('SERVICE_NOT_FOUND', 'this appliance keeps no filter lists');
  return users.ownLists;
}
