-- What cameras read on their tracks (PRODUCT.md, camera_tracks) and the watch list of plates.
ALTER TABLE camera_tracks ADD COLUMN plate text;
ALTER TABLE camera_tracks ADD COLUMN hull_text text;
CREATE TABLE watchlist (
    plate text PRIMARY KEY,
    reason text NOT NULL,
    added_by text NOT NULL,
    added_at bigint NOT NULL
);
