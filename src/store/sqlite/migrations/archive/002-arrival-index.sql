-- Arrivals by mail id: an import resumed after a crash asks whether an item was archived
-- already (hasArrival), once per item.
CREATE INDEX archive_entries_mail ON archive_entries (mail_id) WHERE mail_id IS NOT NULL;
