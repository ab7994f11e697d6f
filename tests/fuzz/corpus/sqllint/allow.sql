-- vigil:allow drop-table, truncate: the table is replaced in 0009
DROP TABLE old; TRUNCATE x;
-- vigil:allow drop-column:
ALTER TABLE t DROP c;
-- vigil:allow nonsense: reason
DROP TABLE y;
