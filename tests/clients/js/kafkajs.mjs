// @kafkajs/confluent-schema-registry against a registry:
//   node kafkajs.mjs REGISTRY_URL SUBJECT_PREFIX SCHEMAS_DIR
// Its API registers, looks up, reads by id and latest, and encodes/decodes; it has no GUID,
// mode or delete calls, and it manages the subject's compatibility itself: the first register
// of a subject sets it (BACKWARD by default), every later one reads it and refuses to go on
// when it differs from the level asked. Exit status 1 when any step failed.
import confluentSchemaRegistry from '@kafkajs/confluent-schema-registry';

import { RECORD, Steps, args, readSchema } from './steps.mjs';

const { COMPATIBILITY, SchemaRegistry, SchemaType } = confluentSchemaRegistry;
const { url, prefix, schemasDir } = args();
const steps = new Steps();
const addressSubject = `${prefix}-address`;
const subject = `${prefix}-value`;
const reference = { name: 'test.shared.Address', subject: addressSubject, version: 1 };

const newClient = () => new SchemaRegistry({ host: url, retry: { retries: 0 } });
// The writer registers; the reader, a client of its own, reads: its answers come from the
// registry rather than from what the writer's cache remembers of its own registrations.
const writer = newClient();
const reader = newClient();

const address = { type: SchemaType.AVRO, schema: readSchema(schemasDir, 'address') };
const user = (name) => ({
  type: SchemaType.AVRO,
  schema: readSchema(schemasDir, name),
  references: [reference],
});

// Its HTTP errors carry the status and the registry's message, not the error code.
function refused(error) {
  if (typeof error?.status !== 'number') throw error;
  return { status: error.status, message: error.message };
}

await steps.step('register-address', async (out) => {
  out.id = (await writer.register(address, { subject: addressSubject })).id;
});
await steps.step('register-user', async (out) => {
  out.id = (await writer.register(user('user-v1'), { subject })).id;
});
// Its lookup sends the schema without its references, so it looks up the referenced record.
await steps.step('lookup-address', async (out) => {
  out.id = await reader.getRegistryIdBySchema(addressSubject, address);
});
await steps.step('get-by-id', async (out) => {
  const schema = await reader.getSchema(steps.value('register-user', 'id'));
  out.record = schema.name;
});

await steps.step('register-v2', async (out) => {
  out.id = (await writer.register(user('user-v2'), { subject })).id;
});
await steps.step('latest-version', async (out) => {
  out.id = await reader.getLatestSchemaId(subject);
});
await steps.refusal(
  'register-incompatible',
  () => writer.register(user('user-breaking'), { subject }),
  refused,
);
// Asking for FULL on a subject the first register left at BACKWARD: the client reads the
// subject's level and stops before registering.
await steps.refusal(
  'compatibility-check',
  () => writer.register(user('user-v3'), { subject, compatibility: COMPATIBILITY.FULL }),
  (error) => {
    if (error?.name !== 'ConfluentSchemaRegistryCompatibilityError') throw error;
    return { message: error.message };
  },
);

let framed;
await steps.step('serialize', async (out) => {
  framed = await reader.encode(steps.value('register-v2', 'id'), RECORD);
  Object.assign(out, { bytes: framed.length, magic: framed[0], id: framed.readUInt32BE(1) });
});
await steps.step('deserialize', async (out) => {
  if (framed === undefined) throw new Error('needs the bytes of step serialize, which did not succeed');
  // A consumer's client knows nothing yet: the writer schema comes by id from the registry.
  const decoded = await newClient().decode(framed);
  Object.assign(out, {
    equal: JSON.stringify(decoded) === JSON.stringify(RECORD),
    user_id: decoded.user_id,
  });
});

process.exitCode = steps.failed ? 1 : 0;
