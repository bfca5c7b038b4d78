-- Small store-level settings, such as the ledger's origin name.
CREATE TABLE meta (
    key   text PRIMARY KEY,
    value text NOT NULL
);
