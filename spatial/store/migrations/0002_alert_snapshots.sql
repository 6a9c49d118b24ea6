-- Evidence pictures of alerts (JPEG): the frame with the object's box drawn, and the crop.
-- One row per alert, keyed by the alert's fid. No foreign key: a snapshot may outlive its
-- alert feature (alerts are never deleted today).
CREATE TABLE alert_snapshots (
    alert_id bigint PRIMARY KEY,
    frame_jpeg bytea NOT NULL,
    crop_jpeg bytea NOT NULL
);
-- JPEG does not compress further: keep the pictures out of line without trying to.
ALTER TABLE alert_snapshots ALTER COLUMN frame_jpeg SET STORAGE EXTERNAL;
ALTER TABLE alert_snapshots ALTER COLUMN crop_jpeg SET STORAGE EXTERNAL;
