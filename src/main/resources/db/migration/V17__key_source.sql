-- Where a stored key or certificate came from, as the admin sees it: imported, uploaded by the user,
-- harvested (Autocrypt header, S/MIME signature). Null for rows older than this column and for generated
-- and issued ones (their flags say so).
ALTER TABLE pgp_certs ADD COLUMN source VARCHAR(60);
ALTER TABLE smime_certs ADD COLUMN source VARCHAR(60);
