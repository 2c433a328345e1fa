package store_test

import (
	"bytes"
	"context"
	"crypto/aes"
	"crypto/cipher"
	"crypto/rand"
	"crypto/sha256"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/switchboardhq/switchboard"
	"github.com/switchboardhq/switchboard/store"
	"github.com/switchboardhq/switchboard/store/pgtest"
	"github.com/switchboardhq/switchboard/store/storetest"
)

func TestMain(m *testing.M) { pgtest.Main(m) }

// sealer is AES-256-GCM with a fixed key and a random nonce before the
// ciphertext: enough to prove that stores never write secrets in the clear.
type sealer struct{ aead cipher.AEAD }

func newSealer() *sealer {
	key := sha256.Sum256([]byte("switchboard store tests"))
	block, err := aes.NewCipher(key[:])
	if err != nil {
		panic(err)
	}
	aead, err := cipher.NewGCM(block)
	if err != nil {
		panic(err)
	}
	return &sealer{aead}
}

func (s *sealer) Seal(plain []byte) ([]byte, error) {
	nonce := make([]byte, s.aead.NonceSize(), s.aead.NonceSize()+len(plain)+s.aead.Overhead())
	if _, err := rand.Read(nonce); err != nil {
		return nil, err
	}
	return s.aead.Seal(nonce, nonce, plain, nil), nil
}

func (s *sealer) Open(sealed []byte) ([]byte, error) {
	n := s.aead.NonceSize()
	if len(sealed) < n {
		return nil, errors.New("sealed value too short")
	}
	return s.aead.Open(nil, sealed[:n], sealed[n:], nil)
}

// openURL opens and migrates the database at url, closed when t ends.
func openURL(t testing.TB, url string) *store.DB {
	t.Helper()
	return pgtest.OpenWith(t, url, store.Options{Sealer: newSealer()})
}

func sqliteURL(t testing.TB) string {
	return "sqlite://" + filepath.Join(t.TempDir(), "data", "switchboard.db")
}

func TestSQLite(t *testing.T) {
	storetest.Run(t, func(t *testing.T) switchboard.Store { return openURL(t, sqliteURL(t)) })
}

func TestPostgres(t *testing.T) {
	pgtest.URL(t) // skips the whole suite at once when there is no server
	storetest.Run(t, func(t *testing.T) switchboard.Store { return openURL(t, pgtest.URL(t)) })
}

// dbs opens one migrated database of each dialect.
func dbs(t *testing.T) map[string]func(t *testing.T) (*store.DB, string) {
	return map[string]func(t *testing.T) (*store.DB, string){
		"sqlite": func(t *testing.T) (*store.DB, string) {
			u := sqliteURL(t)
			return openURL(t, u), u
		},
		"postgres": func(t *testing.T) (*store.DB, string) {
			u := pgtest.URL(t)
			return openURL(t, u), u
		},
	}
}

// TestSecretsSealed looks at the stored bytes: no secret is there in the
// clear, in the SQLite file (and its WAL) or in the PostgreSQL columns.
func TestSecretsSealed(t *testing.T) {
	const botSecret, channelSecret = "sk-PLAINTEXT-BOT-SECRET", "PLAINTEXT-CHANNEL-TOKEN"
	for name, open := range dbs(t) {
		t.Run(name, func(t *testing.T) {
			db, url := open(t)
			ctx := context.Background()
			ws := &switchboard.Workspace{Name: "w"}
			must(t, db.CreateWorkspace(ctx, ws))
			bot := &switchboard.Bot{WorkspaceID: ws.ID, Name: "b", Engine: "llm", Secrets: map[string]string{"PLAIN_KEY_NAME_1": botSecret}}
			must(t, db.CreateBot(ctx, bot))
			ch := &switchboard.Channel{WorkspaceID: ws.ID, Type: "telegram", Name: "c", Status: "connected",
				Secrets: map[string]string{"PLAIN_KEY_NAME_2": channelSecret}}
			must(t, db.CreateChannel(ctx, ch))

			var stored [][]byte
			if name == "sqlite" {
				path := strings.TrimPrefix(url, "sqlite://")
				for _, p := range []string{path, path + "-wal"} {
					b, err := os.ReadFile(p)
					if err != nil && !os.IsNotExist(err) {
						t.Fatal(err)
					}
					stored = append(stored, b)
				}
			} else {
				stored = pgColumns(t, url, `SELECT secrets FROM bots UNION ALL SELECT secrets FROM channels`)
			}
			for _, b := range stored {
				for _, secret := range []string{botSecret, channelSecret, "PLAIN_KEY_NAME"} {
					if bytes.Contains(b, []byte(secret)) {
						t.Fatalf("%q is stored in plaintext", secret)
					}
				}
			}
			got, err := db.GetChannelByID(ctx, ch.ID)
			must(t, err)
			if got.Secrets["PLAIN_KEY_NAME_2"] != channelSecret {
				t.Fatalf("secrets read back as %v", got.Secrets)
			}
		})
	}
}

// pgColumns reads the single byte column of every row of query.
func pgColumns(t *testing.T, url, query string) [][]byte {
	db, err := store.Open(context.Background(), url, store.Options{})
	must(t, err)
	defer db.Close()
	return store.RawColumn(t, db, query)
}

func TestReadyAndMigrate(t *testing.T) {
	for name := range dbs(t) {
		t.Run(name, func(t *testing.T) {
			url := sqliteURL(t)
			if name == "postgres" {
				url = emptyPostgres(t)
			}
			ctx := context.Background()
			db, err := store.Open(ctx, url, store.Options{})
			must(t, err)
			defer db.Close()
			if db.Dialect() != name {
				t.Fatalf("Dialect() = %q, want %q", db.Dialect(), name)
			}
			err = db.Ready(ctx)
			if err == nil || !strings.Contains(err.Error(), "pending") {
				t.Fatalf("Ready before Migrate = %v, want an error naming the pending migrations", err)
			}
			must(t, db.Migrate(ctx))
			must(t, db.Ready(ctx))
			must(t, db.Migrate(ctx)) // idempotent
			must(t, db.Ping(ctx))
			if db.Stats().MaxOpenConnections < 1 {
				t.Fatalf("Stats: %+v", db.Stats())
			}
		})
	}
}

// emptyPostgres returns the URL of a database with no schema at all.
func emptyPostgres(t *testing.T) string {
	url := pgtest.URL(t)
	db, err := store.Open(context.Background(), url, store.Options{})
	must(t, err)
	defer db.Close()
	store.ExecSQL(t, db, `DROP SCHEMA public CASCADE`, `CREATE SCHEMA public`)
	return url
}

func TestMigrateConcurrently(t *testing.T) {
	url := emptyPostgres(t)
	ctx := context.Background()
	errs := make(chan error, 3)
	for range 3 {
		go func() {
			db, err := store.Open(ctx, url, store.Options{})
			if err == nil {
				err = db.Migrate(ctx)
				db.Close()
			}
			errs <- err
		}()
	}
	for range 3 {
		must(t, <-errs)
	}
}

func TestOpenSQLiteURLs(t *testing.T) {
	ctx := context.Background()
	dir := t.TempDir()
	t.Chdir(dir)
	for _, url := range []string{"sqlite://rel/a.db", "sqlite:rel/b.db", "sqlite://" + filepath.Join(dir, "abs", "c.db")} {
		db, err := store.Open(ctx, url, store.Options{})
		if err != nil {
			t.Fatalf("Open(%q): %v", url, err)
		}
		db.Close()
	}
	for _, p := range []string{"rel/a.db", "rel/b.db", "abs/c.db"} {
		if _, err := os.Stat(filepath.Join(dir, p)); err != nil {
			t.Fatalf("Open did not create %s: %v", p, err)
		}
	}
	for _, url := range []string{"sqlite://", "sqlite://:memory:", "sqlite://a.db?mode=ro", "mysql://x", ""} {
		if db, err := store.Open(ctx, url, store.Options{}); err == nil {
			db.Close()
			t.Fatalf("Open(%q) succeeded, want an error", url)
		}
	}
}

func TestSQLiteSettings(t *testing.T) {
	db := openURL(t, sqliteURL(t))
	for pragma, want := range map[string]string{"journal_mode": "wal", "foreign_keys": "1", "synchronous": "2", "busy_timeout": "10000"} {
		got := string(store.RawColumn(t, db, "PRAGMA "+pragma)[0])
		if got != want {
			t.Errorf("PRAGMA %s = %q, want %q", pragma, got, want)
		}
	}
	if s := db.Stats(); s.MaxOpenConnections != 1 {
		t.Errorf("writer pool allows %d connections, want 1", s.MaxOpenConnections)
	}
}

// TestNilSealer: a store opened without a sealer refuses to store secrets
// rather than storing them in the clear.
func TestNilSealer(t *testing.T) {
	ctx := context.Background()
	db, err := store.Open(ctx, sqliteURL(t), store.Options{})
	must(t, err)
	defer db.Close()
	must(t, db.Migrate(ctx))
	ws := &switchboard.Workspace{Name: "w"}
	must(t, db.CreateWorkspace(ctx, ws))
	err = db.CreateBot(ctx, &switchboard.Bot{WorkspaceID: ws.ID, Secrets: map[string]string{"k": "v"}})
	if err == nil {
		t.Fatal("CreateBot with secrets and no sealer succeeded")
	}
	must(t, db.CreateBot(ctx, &switchboard.Bot{WorkspaceID: ws.ID, Name: "no secrets"}))
}

// TestForeignKeys: a reference to a missing row is invalid_request.
func TestForeignKeys(t *testing.T) {
	for name, open := range dbs(t) {
		t.Run(name, func(t *testing.T) {
			db, _ := open(t)
			err := db.CreateBot(context.Background(), &switchboard.Bot{WorkspaceID: "ws_missing", Name: "b"})
			if code := switchboard.ErrorCode(err); code != switchboard.EInvalid {
				t.Fatalf("CreateBot in a missing workspace: %v (code %q), want invalid_request", err, code)
			}
		})
	}
}

func must(t testing.TB, err error) {
	t.Helper()
	if err != nil {
		t.Fatal(err)
	}
}

// TestSchemasMatch: the two dialects' migrations create the same tables,
// columns and indexes.
func TestSchemasMatch(t *testing.T) {
	queries := map[string][2]string{
		"sqlite": {
			`SELECT m.name || '.' || p.name FROM sqlite_master m, pragma_table_info(m.name) p
			 WHERE m.type = 'table' AND m.name NOT LIKE 'sqlite_%' AND m.name <> 'goose_db_version' ORDER BY 1`,
			`SELECT name FROM sqlite_master WHERE type = 'index' AND sql IS NOT NULL ORDER BY 1`,
		},
		"postgres": {
			`SELECT table_name || '.' || column_name FROM information_schema.columns
			 WHERE table_schema = 'public' AND table_name <> 'goose_db_version' ORDER BY 1`,
			`SELECT indexname FROM pg_indexes WHERE schemaname = 'public'
			 AND indexname NOT LIKE '%_pkey' AND indexname NOT LIKE '%_key' AND tablename <> 'goose_db_version' ORDER BY 1`,
		},
	}
	got := map[string][2]string{}
	for name, open := range dbs(t) {
		db, _ := open(t)
		for i, q := range queries[name] {
			var rows []string
			for _, r := range store.RawColumn(t, db, q) {
				rows = append(rows, string(r))
			}
			v := got[name]
			v[i] = strings.Join(rows, "\n")
			got[name] = v
		}
	}
	if !strings.Contains(got["sqlite"][0], "messages.external_id") || !strings.Contains(got["sqlite"][1], "messages_external_id") {
		t.Fatalf("the schema queries found nothing: %q", got["sqlite"])
	}
	if got["sqlite"][0] != got["postgres"][0] {
		t.Errorf("columns differ:\nsqlite:\n%s\n\npostgres:\n%s", got["sqlite"][0], got["postgres"][0])
	}
	if got["sqlite"][1] != got["postgres"][1] {
		t.Errorf("indexes differ:\nsqlite:\n%s\n\npostgres:\n%s", got["sqlite"][1], got["postgres"][1])
	}
}

// TestNULCharacters: SQLite stores NUL characters; PostgreSQL refuses them,
// as invalid_request rather than an internal error.
func TestNULCharacters(t *testing.T) {
	for name, open := range dbs(t) {
		t.Run(name, func(t *testing.T) {
			db, _ := open(t)
			ctx := context.Background()
			ws := &switchboard.Workspace{Name: "a\x00b"}
			bot := &switchboard.Bot{Name: "b", Config: []byte(`{"a":"\u0000"}`)}
			errs := []error{db.CreateWorkspace(ctx, ws), db.CreateWorkspace(ctx, &switchboard.Workspace{Name: "w"})}
			bot.WorkspaceID = ws.ID
			if name == "postgres" {
				w, err := db.GetWorkspaceByName(ctx, "w")
				must(t, err)
				bot.WorkspaceID = w.ID
			}
			errs = append(errs, db.CreateBot(ctx, bot))
			for i, err := range []error{errs[0], errs[2]} {
				code := switchboard.ErrorCode(err)
				if name == "sqlite" && err != nil || name == "postgres" && code != switchboard.EInvalid {
					t.Errorf("value %d: %v (code %q)", i, err, code)
				}
			}
			must(t, errs[1])
		})
	}
}

// TestBoundLockWait: on PostgreSQL a transaction with a bounded lock wait
// fails, rather than waits, on a row another transaction holds.
func TestBoundLockWait(t *testing.T) {
	db := openURL(t, pgtest.URL(t))
	ctx := context.Background()
	ws := &switchboard.Workspace{Name: "w"}
	must(t, db.CreateWorkspace(ctx, ws))
	ch := &switchboard.Channel{WorkspaceID: ws.ID, Type: "api", Name: "c", Status: "connected"}
	must(t, db.CreateChannel(ctx, ch))
	ct := &switchboard.Contact{WorkspaceID: ws.ID, ChannelID: ch.ID, ExternalID: "u"}
	must(t, db.CreateContact(ctx, ct))
	locked, release := make(chan struct{}), make(chan struct{})
	holder := make(chan error, 1)
	go func() {
		holder <- db.Tx(ctx, func(q switchboard.Queries) error {
			if err := q.LockContact(ctx, ws.ID, ct.ID); err != nil {
				return err
			}
			close(locked)
			<-release
			return nil
		})
	}()
	<-locked
	err := db.Tx(ctx, func(q switchboard.Queries) error {
		if err := q.BoundLockWait(ctx, 20*time.Millisecond); err != nil {
			return err
		}
		return q.LockContact(ctx, ws.ID, ct.ID)
	})
	close(release)
	must(t, <-holder)
	if err == nil {
		t.Fatal("a bounded wait for a held row succeeded")
	}
}
