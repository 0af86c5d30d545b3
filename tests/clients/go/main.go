// Command registry-client-go runs franz-go's schema registry client (pkg/sr) against a
// registry, its Serde with hamba/avro for the Avro round trip:
//
//	registry-client-go REGISTRY_URL SUBJECT_PREFIX SCHEMAS_DIR
//
// Exit status 1 when any step failed.
package main

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"time"

	"github.com/hamba/avro/v2"
	"github.com/twmb/franz-go/pkg/sr"
)

type Address struct {
	Street string `avro:"street"`
	City   string `avro:"city"`
}

type User struct {
	UserID   int64   `avro:"user_id"`
	Home     Address `avro:"home"`
	Nickname *string `avro:"nickname"`
}

func main() {
	if len(os.Args) != 4 {
		fmt.Fprintln(os.Stderr, "usage: registry-client-go REGISTRY_URL SUBJECT_PREFIX SCHEMAS_DIR")
		os.Exit(2)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()
	if run(ctx, os.Args[1], os.Args[2], os.Args[3]) > 0 {
		os.Exit(1)
	}
}

func run(ctx context.Context, url, prefix, schemasDir string) int {
	s := newSteps()
	addressSubject, subject := prefix+"-address", prefix+"-value"
	// No cache in this client: every call below is a request to the registry.
	cl, err := sr.NewClient(sr.URLs(url))
	if err != nil {
		fmt.Println("client: FAILED", err)
		return 1
	}
	reference := sr.SchemaReference{Name: "test.shared.Address", Subject: addressSubject, Version: 1}
	read := func(name string) string {
		text, err := os.ReadFile(filepath.Join(schemasDir, name+".avsc"))
		if err != nil {
			panic(err)
		}
		return string(text)
	}
	user := func(name string) sr.Schema {
		return sr.Schema{Schema: read(name), Type: sr.TypeAvro, References: []sr.SchemaReference{reference}}
	}
	registered := func(out *result, ss sr.SubjectSchema) {
		out.add("id", ss.ID)
		out.add("version", ss.Version)
	}

	s.step("register-address", func(out *result) error {
		ss, err := cl.CreateSchema(ctx, addressSubject, sr.Schema{Schema: read("address"), Type: sr.TypeAvro})
		registered(out, ss)
		return err
	})
	var guid string
	s.step("register-user", func(out *result) error {
		ss, err := cl.CreateSchema(ctx, subject, user("user-v1"))
		registered(out, ss)
		guid = ss.GUID
		return err
	})
	s.step("guid", func(out *result) error {
		if guid == "" {
			return errors.New("the registry's answers carry no guid")
		}
		out.add("guid", guid)
		return nil
	})
	s.step("lookup", func(out *result) error {
		ss, err := cl.LookupSchema(ctx, subject, user("user-v1"))
		registered(out, ss)
		return err
	})
	s.step("get-by-id", func(out *result) error {
		id, err := s.intValue("register-user", "id")
		if err != nil {
			return err
		}
		schema, err := cl.SchemaByID(ctx, id)
		describe(out, schema)
		return err
	})
	s.step("get-by-guid", func(out *result) error {
		g, err := s.value("guid", "guid")
		if err != nil {
			return err
		}
		ss, err := cl.SchemaByGUID(ctx, g.(string))
		describe(out, ss.Schema)
		return err
	})

	s.step("register-v2", func(out *result) error {
		ss, err := cl.CreateSchema(ctx, subject, user("user-v2"))
		registered(out, ss)
		return err
	})
	s.step("latest-version", func(out *result) error {
		ss, err := cl.SchemaByVersion(ctx, subject, -1)
		registered(out, ss)
		return err
	})
	s.step("register-incompatible", func(out *result) error {
		id, err := cl.RegisterSchema(ctx, subject, user("user-breaking"), -1, -1)
		return refused(out, err, id)
	})

	s.step("set-compatibility", func(out *result) error {
		set := cl.SetCompatibility(ctx, sr.SetCompatibility{Level: sr.CompatFull}, subject)[0]
		out.add("level", set.Level)
		return set.Err
	})
	s.step("get-compatibility", func(out *result) error {
		got := cl.Compatibility(ctx, subject)[0]
		out.add("level", got.Level)
		return got.Err
	})
	s.step("set-mode", func(out *result) error {
		set := cl.SetMode(ctx, sr.ModeReadOnly, subject)[0]
		out.add("mode", set.Mode)
		return set.Err
	})
	s.step("get-mode", func(out *result) error {
		got := cl.Mode(ctx, subject)[0]
		out.add("mode", got.Mode)
		return got.Err
	})
	s.step("register-in-read-only", func(out *result) error {
		id, err := cl.RegisterSchema(ctx, subject, user("user-v3"), -1, -1)
		return refused(out, err, id)
	})
	s.step("set-mode-back", func(out *result) error {
		set := cl.SetMode(ctx, sr.ModeReadWrite, subject)[0]
		out.add("mode", set.Mode)
		return set.Err
	})

	nickname := "ada"
	record := User{UserID: 42, Home: Address{Street: "Rue de la Loi 16", City: "Brussels"}, Nickname: &nickname}
	var framed []byte
	s.step("serialize", func(out *result) error {
		id, err := s.intValue("register-v2", "id")
		if err != nil {
			return err
		}
		var serde sr.Serde
		if err := register(ctx, cl, &serde, id); err != nil {
			return err
		}
		framed, err = serde.Encode(record)
		if err != nil {
			return err
		}
		out.add("bytes", len(framed))
		out.add("magic", int(framed[0]))
		out.add("id", int(uint32(framed[1])<<24|uint32(framed[2])<<16|uint32(framed[3])<<8|uint32(framed[4])))
		return nil
	})
	s.step("deserialize", func(out *result) error {
		if framed == nil {
			return errors.New("needs the bytes of step serialize, which did not succeed")
		}
		// A consumer knows nothing yet: the id in the header says which schema to fetch.
		var serde sr.Serde
		id, _, err := serde.DecodeID(framed)
		if err != nil {
			return err
		}
		if err := register(ctx, cl, &serde, id); err != nil {
			return err
		}
		var decoded User
		if err := serde.Decode(framed, &decoded); err != nil {
			return err
		}
		equal := decoded.UserID == record.UserID && decoded.Home == record.Home &&
			decoded.Nickname != nil && *decoded.Nickname == *record.Nickname
		out.add("equal", equal)
		out.add("user_id", decoded.UserID)
		return nil
	})

	// DeleteSchema answers with the error alone, not the deleted version.
	s.step("soft-delete-version", func(out *result) error {
		return cl.DeleteSchema(ctx, subject, 2, sr.SoftDelete)
	})
	s.step("versions-after-soft-delete", func(out *result) error {
		versions, err := cl.SubjectVersions(ctx, subject)
		out.add("versions", joinInts(versions))
		return err
	})
	s.step("soft-delete-subject", func(out *result) error {
		versions, err := cl.DeleteSubject(ctx, subject, sr.SoftDelete)
		out.add("deleted", joinInts(versions))
		return err
	})
	s.step("hard-delete-subject", func(out *result) error {
		versions, err := cl.DeleteSubject(ctx, subject, sr.HardDelete)
		out.add("deleted", joinInts(versions))
		return err
	})
	s.step("versions-after-hard-delete", func(out *result) error {
		versions, err := cl.SubjectVersions(ctx, subject)
		return refused(out, err, versions)
	})
	return s.failed
}

// register teaches a Serde the schema of id, fetched from the registry with its references.
func register(ctx context.Context, cl *sr.Client, serde *sr.Serde, id int) error {
	schema, err := cl.SchemaByID(ctx, id)
	if err != nil {
		return err
	}
	cache := &avro.SchemaCache{}
	for _, ref := range schema.References {
		referenced, err := cl.SchemaByVersion(ctx, ref.Subject, ref.Version)
		if err != nil {
			return err
		}
		if _, err := avro.ParseWithCache(referenced.Schema.Schema, "", cache); err != nil {
			return err
		}
	}
	parsed, err := avro.ParseWithCache(schema.Schema, "", cache)
	if err != nil {
		return err
	}
	serde.Register(id, User{},
		sr.EncodeFn(func(v any) ([]byte, error) { return avro.Marshal(parsed, v) }),
		sr.DecodeFn(func(b []byte, v any) error { return avro.Unmarshal(parsed, b, v) }),
	)
	return nil
}

// refused turns the registry's refusal into fields; no refusal at all is the failure.
func refused(out *result, err error, accepted any) error {
	if err == nil {
		return fmt.Errorf("accepted: %v", accepted)
	}
	var response *sr.ResponseError
	if !errors.As(err, &response) {
		return err
	}
	out.add("status", response.StatusCode)
	out.add("error_code", response.ErrorCode)
	out.add("message", response.Message)
	return nil
}

func describe(out *result, schema sr.Schema) {
	var document struct {
		Name      string `json:"name"`
		Namespace string `json:"namespace"`
	}
	if json.Unmarshal([]byte(schema.Schema), &document) == nil {
		out.add("record", document.Namespace+"."+document.Name)
	}
	references := make([]string, 0, len(schema.References))
	for _, r := range schema.References {
		references = append(references, fmt.Sprintf("%s=%s/%d", r.Name, r.Subject, r.Version))
	}
	out.add("references", strings.Join(references, ","))
}

func joinInts(values []int) string {
	text := make([]string, len(values))
	for i, v := range values {
		text[i] = fmt.Sprint(v)
	}
	return strings.Join(text, ",")
}
