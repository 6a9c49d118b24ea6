-- Photos grid officers take at an inspection (JPEG), numbered from 0 per inspection.
CREATE TABLE inspection_photos (
    inspection_id bigint NOT NULL,
    n bigint NOT NULL,
    jpeg bytea NOT NULL,
    PRIMARY KEY (inspection_id, n)
);
ALTER TABLE inspection_photos ALTER COLUMN jpeg SET STORAGE EXTERNAL;
-- How many photos each inspection has.
ALTER TABLE inspections ADD COLUMN photos bigint NOT NULL DEFAULT 0;
