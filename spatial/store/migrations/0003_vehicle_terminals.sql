-- The JT/T 808 terminal bound to a vehicle: its phone number (PRODUCT.md, vehicles).
ALTER TABLE vehicles ADD COLUMN terminal_id text;
