CREATE TABLE "_sqlite_migrations" (
   "id" INTEGER PRIMARY KEY,
   "migration_set" TEXT,
   "name" TEXT,
   "applied_at" TEXT
);
CREATE UNIQUE INDEX "idx__sqlite_migrations_migration_set_name"
    ON "_sqlite_migrations" ("migration_set", "name");
CREATE TABLE "decks" (
   "name" TEXT PRIMARY KEY,
   "title" TEXT,
   "description" TEXT,
   "source" TEXT,
   "kinds" TEXT,
   "format" INTEGER,
   "imported_at" TEXT
, "answer_index" TEXT, "kinds_chosen" TEXT, "bundled_sha1" TEXT, "removed_at" TEXT, "new_per_day" INTEGER);
CREATE TABLE "facts" (
   "id" TEXT PRIMARY KEY,
   "deck" TEXT REFERENCES "decks"("name"),
   "key" TEXT,
   "position" INTEGER,
   "data" TEXT,
   "suspended" INTEGER DEFAULT 0
);
CREATE TABLE "cards" (
   "id" TEXT PRIMARY KEY,
   "deck" TEXT REFERENCES "decks"("name"),
   "fact_id" TEXT REFERENCES "facts"("id"),
   "kind" TEXT,
   "position" INTEGER,
   "state" INTEGER DEFAULT 0,
   "step" INTEGER,
   "stability" REAL,
   "difficulty" REAL,
   "due" TEXT,
   "last_review" TEXT,
   "reps" INTEGER DEFAULT 0,
   "lapses" INTEGER DEFAULT 0,
   "suspended" INTEGER DEFAULT 0
, "leech" INTEGER NOT NULL DEFAULT 0);
CREATE TABLE "reviews" (
   "id" INTEGER PRIMARY KEY,
   "card_id" TEXT,
   "reviewed_at" TEXT,
   "answer" TEXT,
   "correct" INTEGER,
   "rating" INTEGER,
   "duration_ms" INTEGER,
   "mode" TEXT DEFAULT 'review',
   "state_before" TEXT,
   "state_after" TEXT
, uid TEXT);
CREATE TABLE "settings" (
   "key" TEXT PRIMARY KEY,
   "value" TEXT
);
CREATE INDEX "idx_cards_fact_id"
    ON "cards" ("fact_id");
CREATE INDEX "idx_reviews_card_id_reviewed_at"
    ON "reviews" ("card_id", "reviewed_at");
CREATE TABLE "confusions" (
   "id" INTEGER PRIMARY KEY,
   "review_id" INTEGER REFERENCES "reviews"("id"),
   "card_id" TEXT,
   "fact_id" TEXT,
   "other_fact_id" TEXT,
   "at" TEXT
);
CREATE INDEX "idx_confusions_fact_id_other_fact_id"
    ON "confusions" ("fact_id", "other_fact_id");
CREATE INDEX "idx_confusions_review_id"
    ON "confusions" ("review_id");
CREATE INDEX cards_due ON cards(due) WHERE suspended = 0 AND reps > 0;
CREATE INDEX cards_new ON cards(deck, position) WHERE suspended = 0 AND reps = 0;
CREATE TABLE accepted (card_id TEXT NOT NULL, answer TEXT NOT NULL, at TEXT NOT NULL, PRIMARY KEY (card_id, answer));
CREATE TABLE events (id INTEGER PRIMARY KEY, at TEXT NOT NULL, kind TEXT NOT NULL, review_id INTEGER, card_id TEXT, deck TEXT, data TEXT, uid TEXT);
CREATE INDEX events_review ON events(review_id) WHERE review_id IS NOT NULL;
CREATE TABLE amends (review_id INTEGER PRIMARY KEY, cancelled INTEGER NOT NULL DEFAULT 0, rating INTEGER, correct INTEGER, state_after TEXT);
CREATE TABLE claims (card_id TEXT PRIMARY KEY, session TEXT NOT NULL, until TEXT NOT NULL);
CREATE TABLE local (key TEXT PRIMARY KEY, value TEXT);
CREATE UNIQUE INDEX reviews_uid ON reviews(uid);
CREATE UNIQUE INDEX events_uid ON events(uid);
CREATE VIEW log AS SELECT r.id, r.card_id, r.reviewed_at, r.answer, coalesce(a.correct, r.correct) AS correct, coalesce(a.rating, r.rating) AS rating, r.duration_ms, r.mode, r.state_before, coalesce(a.state_after, r.state_after) AS state_after, r.uid FROM reviews r LEFT JOIN amends a ON a.review_id = r.id WHERE a.cancelled IS NOT 1;
CREATE TABLE drills (id INTEGER PRIMARY KEY, at TEXT NOT NULL, kind TEXT NOT NULL, deck TEXT, score INTEGER NOT NULL, total INTEGER NOT NULL);
CREATE INDEX reviews_practice_misses ON reviews(card_id) WHERE mode = 'practice' AND correct = 0;
CREATE INDEX reviews_review_at ON reviews(reviewed_at, mode, correct) WHERE mode = 'review' AND reviewed_at IS NOT NULL;
CREATE INDEX reviews_rest_at ON reviews(reviewed_at, mode, correct) WHERE mode IS NOT 'review' OR reviewed_at IS NULL;
CREATE INDEX cards_listed ON cards(deck) WHERE suspended < 2;
CREATE TABLE answer_names (deck TEXT NOT NULL, name TEXT NOT NULL, facts TEXT NOT NULL, label INTEGER NOT NULL, PRIMARY KEY (deck, name)) WITHOUT ROWID;
CREATE TABLE answer_ports (deck TEXT NOT NULL, numbering TEXT NOT NULL, number INTEGER NOT NULL, sets TEXT NOT NULL, PRIMARY KEY (deck, numbering, number)) WITHOUT ROWID;
INSERT INTO _sqlite_migrations (migration_set, name, applied_at) VALUES ('trainer', 'm001_initial', strftime('%Y-%m-%d %H:%M:%f', 'now') || '+00:00');
INSERT INTO _sqlite_migrations (migration_set, name, applied_at) VALUES ('trainer', 'm002_confusions_and_leeches', strftime('%Y-%m-%d %H:%M:%f', 'now') || '+00:00');
INSERT INTO _sqlite_migrations (migration_set, name, applied_at) VALUES ('trainer', 'm003_deck_index', strftime('%Y-%m-%d %H:%M:%f', 'now') || '+00:00');
INSERT INTO _sqlite_migrations (migration_set, name, applied_at) VALUES ('trainer', 'm004_partial_card_indexes', strftime('%Y-%m-%d %H:%M:%f', 'now') || '+00:00');
INSERT INTO _sqlite_migrations (migration_set, name, applied_at) VALUES ('trainer', 'm005_deck_choices', strftime('%Y-%m-%d %H:%M:%f', 'now') || '+00:00');
INSERT INTO _sqlite_migrations (migration_set, name, applied_at) VALUES ('trainer', 'm006_accepted_answers', strftime('%Y-%m-%d %H:%M:%f', 'now') || '+00:00');
INSERT INTO _sqlite_migrations (migration_set, name, applied_at) VALUES ('trainer', 'm007_events', strftime('%Y-%m-%d %H:%M:%f', 'now') || '+00:00');
INSERT INTO _sqlite_migrations (migration_set, name, applied_at) VALUES ('trainer', 'm008_index_labels', strftime('%Y-%m-%d %H:%M:%f', 'now') || '+00:00');
INSERT INTO _sqlite_migrations (migration_set, name, applied_at) VALUES ('trainer', 'm009_deck_new_limits', strftime('%Y-%m-%d %H:%M:%f', 'now') || '+00:00');
INSERT INTO _sqlite_migrations (migration_set, name, applied_at) VALUES ('trainer', 'm010_sync', strftime('%Y-%m-%d %H:%M:%f', 'now') || '+00:00');
INSERT INTO _sqlite_migrations (migration_set, name, applied_at) VALUES ('trainer', 'm011_drills', strftime('%Y-%m-%d %H:%M:%f', 'now') || '+00:00');
INSERT INTO _sqlite_migrations (migration_set, name, applied_at) VALUES ('trainer', 'm012_practice_misses', strftime('%Y-%m-%d %H:%M:%f', 'now') || '+00:00');
INSERT INTO _sqlite_migrations (migration_set, name, applied_at) VALUES ('trainer', 'm013_stats_indexes', strftime('%Y-%m-%d %H:%M:%f', 'now') || '+00:00');
INSERT INTO _sqlite_migrations (migration_set, name, applied_at) VALUES ('trainer', 'm014_index_tables', strftime('%Y-%m-%d %H:%M:%f', 'now') || '+00:00');
