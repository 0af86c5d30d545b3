"""Protobuf parsing: protoc's verdict, the canonical text printed from the descriptor, and
the forms Confluent's clients send and ask for."""

from __future__ import annotations

import base64

import pytest
from google.protobuf import descriptor_pb2

from registry.errors import InvalidSchemaError
from registry.schema import ParseOptions, ResolvedReference, SchemaReference
from registry.schema_types import formatted_text, has_format, normalized_text, parse_schema
from registry.schema_types.protobuf import parse_protobuf

WRITTEN = """
// Orders as the shop writes them.
syntax = "proto3";
import "google/protobuf/timestamp.proto";
option java_package = "shop.events";
package shop;

enum Status { STATUS_UNKNOWN = 0; PLACED = 1; }

message Order {
  reserved 9, 12 to 14;
  int64 id = 1;
  google.protobuf.Timestamp placed = 2;
  Status status = 3;
  map<string, Line> lines = 4;
  optional string note = 5 [deprecated = true];
  oneof payment { string card = 6; string voucher = 7; }
  message Line { int32 quantity = 1; repeated string tags = 2; }
}
"""
CANONICAL = """syntax = "proto3";
package shop;

import "google/protobuf/timestamp.proto";

option java_package = "shop.events";

message Order {
  reserved 9;
  reserved 12 to 14;

  int64 id = 1;
  .google.protobuf.Timestamp placed = 2;
  .shop.Status status = 3;
  map<string, .shop.Order.Line> lines = 4;
  optional string note = 5 [deprecated = true];

  oneof payment {
    string card = 6;
    string voucher = 7;
  }

  message Line {
    int32 quantity = 1;
    repeated string tags = 2;
  }
}
enum Status {
  STATUS_UNKNOWN = 0;
  PLACED = 1;
}
"""


def test_the_canonical_text_is_printed_from_the_descriptor() -> None:
    """Comments go, declarations come in Confluent's order (messages before enums), and
    types are named in full, as Confluent prints a schema registered as a descriptor."""
    assert parse_protobuf(WRITTEN).canonical == CANONICAL


def test_the_canonical_text_parses_back_to_itself() -> None:
    assert parse_protobuf(CANONICAL).canonical == CANONICAL


def test_a_descriptor_in_base64_is_the_same_schema_as_its_text() -> None:
    """What confluent_kafka's serializer registers: one schema, one fingerprint."""
    parsed = parse_protobuf(WRITTEN)
    file = parsed.model.file
    encoded = base64.standard_b64encode(file.SerializeToString()).decode()
    from_descriptor = parse_protobuf(encoded)
    assert from_descriptor.canonical == CANONICAL
    assert from_descriptor.fingerprint == parsed.fingerprint


def test_short_and_full_type_names_are_one_schema() -> None:
    short = 'syntax = "proto3";\npackage p;\nmessage A { B b = 1; }\nmessage B {}\n'
    full = 'syntax = "proto3";\npackage p;\nmessage A { .p.B b = 1; }\nmessage B {}\n'
    assert parse_protobuf(short).fingerprint == parse_protobuf(full).fingerprint


def test_normalize_sorts_what_confluent_sorts() -> None:
    shuffled = """syntax = "proto3";
import "google/protobuf/timestamp.proto";
import "google/protobuf/duration.proto";
message M {
  string b = 2;
  string a = 1;
  oneof late { int32 y = 9; int32 x = 8; }
  oneof early { int32 z = 3; }
}
enum E { A = 0; C = 2; B = 1; }
"""
    normalized = parse_protobuf(shuffled, ParseOptions(normalize=True))
    assert (
        normalized.canonical
        == """syntax = "proto3";

import "google/protobuf/duration.proto";
import "google/protobuf/timestamp.proto";

message M {
  string a = 1;
  string b = 2;

  oneof early {
    int32 z = 3;
  }
  oneof late {
    int32 x = 8;
    int32 y = 9;
  }
}
enum E {
  A = 0;
  B = 1;
  C = 2;
}
"""
    )
    assert normalized_text(parse_protobuf(shuffled)) == normalized.canonical


def test_proto2_keeps_its_labels_defaults_and_syntax_line() -> None:
    text = (
        'syntax = "proto2";\nmessage M {\n  required int32 id = 1;\n'
        '  optional string s = 2 [default = "x"];\n}\n'
    )
    assert parse_protobuf(text).canonical == (
        'syntax = "proto2";\n\nmessage M {\n  required int32 id = 1;\n'
        '  optional string s = 2 [default = "x"];\n}\n'
    )


def test_custom_options_of_a_known_file_are_kept() -> None:
    """Confluent's own `confluent/meta.proto` needs no reference; its field options (tags
    that data contracts read) survive the round trip through the descriptor."""
    text = (
        'syntax = "proto3";\nimport "confluent/meta.proto";\n'
        'message User {\n  string email = 1 [(confluent.field_meta) = { tags: ["PII"] }];\n}\n'
    )
    canonical = parse_protobuf(text).canonical
    assert 'string email = 1 [(confluent.field_meta) = {\n    tags: ["PII"]\n  }];' in canonical
    assert parse_protobuf(canonical).canonical == canonical


def test_an_import_names_a_reference() -> None:
    address = 'syntax = "proto3";\npackage places;\nmessage Address { string city = 1; }\n'
    reference = ResolvedReference(SchemaReference("places/address.proto", "addresses", 1), address)
    user = (
        'syntax = "proto3";\nimport "places/address.proto";\nmessage U { places.Address a = 1; }\n'
    )
    parsed = parse_protobuf(user, ParseOptions(references=[reference]))
    assert parsed.references == (reference.reference,)
    assert "  .places.Address a = 1;\n" in parsed.canonical


@pytest.mark.parametrize(
    ("text", "detail"),
    [
        ('syntax = "proto3";\nmessage M { Nope n = 1; }', '2:13: "Nope" is not defined.'),
        ('syntax = "proto3";\nmessage M {', "2:12: Reached end of input in message definition"),
        (
            'syntax = "proto3";\nimport "elsewhere.proto";\nmessage M {}',
            "details: elsewhere.proto: File not found.",
        ),
        ("not a schema", "1:1: Expected top-level statement"),
    ],
)
def test_protoc_errors_say_where(text: str, detail: str) -> None:
    with pytest.raises(InvalidSchemaError) as refused:
        parse_protobuf(text)
    assert refused.value.message.startswith("Invalid schema of type PROTOBUF, details: ")
    assert detail in refused.value.message


def test_a_reference_name_must_be_a_relative_proto_path() -> None:
    reference = ResolvedReference(SchemaReference("../x.proto", "x", 1), 'syntax = "proto3";')
    with pytest.raises(InvalidSchemaError, match="not a relative path"):
        parse_protobuf('syntax = "proto3";', ParseOptions(references=[reference]))


def test_the_serialized_format_is_the_descriptor_named_default() -> None:
    parsed = parse_schema("PROTOBUF", WRITTEN, ParseOptions())
    encoded = formatted_text(parsed, "SERIALIZED")
    file = descriptor_pb2.FileDescriptorProto.FromString(base64.b64decode(encoded))
    assert (file.name, file.package) == ("default", "shop")
    assert list(file.dependency) == ["google/protobuf/timestamp.proto"]
    assert not has_format("PROTOBUF", "ignore_extensions")


EVERYTHING = r"""syntax = "proto2";
package all.kinds;

import "google/protobuf/descriptor.proto";

message Holder {
  optional string quoted = 1 [default = "a\"b\\c\0d\ne"];
  optional bytes raw = 2 [default = "\001\377z"];
  optional Kind kind = 3 [default = SECOND];
  extensions 100 to 199;

  enum Kind {
    FIRST = 1;
    SECOND = 2;
    reserved 1000000000;
    reserved 2000000000 to max;
  }
}

extend google.protobuf.FieldOptions {
  optional string label = 50001;
}

extend Holder {
  optional int32 extra = 100;
}

service Holders {
  rpc Get (Holder) returns (stream Holder) {
    option deprecated = true;
  }
}
"""


def test_every_kind_of_declaration_prints_back_to_itself() -> None:
    """Escapes (a NUL, quotes, bytes), an enum's own numbers, extensions and services: the
    printed text compiles to the same descriptor and prints the same again."""
    first = parse_protobuf(EVERYTHING)
    again = parse_protobuf(first.canonical)
    assert again.canonical == first.canonical
    assert again.model.file == first.model.file
    assert 'default = "a\\"b\\\\c\\000d\\ne"' in first.canonical
    assert "reserved 1000000000;" in first.canonical
    assert "reserved 2000000000 to max;" in first.canonical
    assert "extend .all.kinds.Holder {" in first.canonical


def test_a_descriptor_naming_its_map_entry_relatively_prints_a_map() -> None:
    """Confluent's Java client builds descriptors with names as written (`tagsEntry`)."""
    file = descriptor_pb2.FileDescriptorProto(name="default", syntax="proto3")
    message = file.message_type.add(name="Tagged")
    message.field.add(
        name="tags",
        number=1,
        label=descriptor_pb2.FieldDescriptorProto.LABEL_REPEATED,
        type=descriptor_pb2.FieldDescriptorProto.TYPE_MESSAGE,
        type_name="tagsEntry",
    )
    entry = message.nested_type.add(name="tagsEntry")
    entry.options.map_entry = True
    for number, name in ((1, "key"), (2, "value")):
        entry.field.add(
            name=name,
            number=number,
            label=descriptor_pb2.FieldDescriptorProto.LABEL_OPTIONAL,
            type=descriptor_pb2.FieldDescriptorProto.TYPE_STRING,
        )
    encoded = base64.standard_b64encode(file.SerializeToString()).decode()
    assert "  map<string, string> tags = 1;\n" in parse_protobuf(encoded).canonical


def test_groups_are_refused_rather_than_printed_as_messages() -> None:
    text = 'syntax = "proto2";\nmessage M {\n  optional group G = 1 { optional int32 x = 2; }\n}\n'
    with pytest.raises(InvalidSchemaError, match="groups are not supported"):
        parse_protobuf(text)


def test_an_import_outside_confluents_known_files_needs_a_reference() -> None:
    text = 'syntax = "proto3";\nimport "google/protobuf/compiler/plugin.proto";\nmessage M {}\n'
    with pytest.raises(InvalidSchemaError, match="neither a reference nor a known type"):
        parse_protobuf(text)


def test_a_references_own_imports_resolve_by_the_names_it_gives_them() -> None:
    common = 'syntax = "proto3";\npackage common;\nmessage Money { int64 cents = 1; }\n'
    by_library = ResolvedReference(SchemaReference("lib/common.proto", "common", 1), common)
    library = ResolvedReference(
        SchemaReference("a.proto", "a", 1),
        'syntax = "proto3";\nimport "lib/common.proto";\nmessage A { common.Money m = 1; }\n',
        (by_library,),
    )
    text = 'syntax = "proto3";\nimport "a.proto";\nmessage Root { A a = 1; }\n'
    parsed = parse_protobuf(text, ParseOptions(references=[library]))
    assert "  .A a = 1;\n" in parsed.canonical
    assert set(parsed.model.compiled.imports) == {"a.proto", "lib/common.proto"}
