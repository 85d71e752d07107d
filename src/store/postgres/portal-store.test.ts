// The PostgreSQL encryption portal store against the portal store conformance suite.
import { portalStoreConformance } from '../portal-conformance.ts';
import { pgFixture } from './pg-fixture.ts';

const fx = pgFixture();

portalStoreConformance({ name: 'postgres', open: () => fx.open() });
