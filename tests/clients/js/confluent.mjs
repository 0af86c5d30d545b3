// Confluent's JavaScript client (@confluentinc/schemaregistry) against a registry:
//   node confluent.mjs REGISTRY_URL SUBJECT_PREFIX SCHEMAS_DIR
// It has no mode API, so the mode steps are not run. Exit status 1 when any step failed.
import {
  AvroDeserializer,
  AvroSerializer,
  Compatibility,
  RestError,
  SchemaRegistryClient,
  SerdeType,
} from '@confluentinc/schemaregistry';

import { RECORD, Steps, args, readSchema, recordName } from './steps.mjs';

const { url, prefix, schemasDir } = args();
const steps = new Steps();
const addressSubject = `${prefix}-address`;
const subject = `${prefix}-value`;
const topic = prefix;
const reference = { name: 'test.shared.Address', subject: addressSubject, version: 1 };

const newClient = () => new SchemaRegistryClient({ baseURLs: [url], maxRetries: 0 });
// The writer registers; the reader, a client of its own, reads: its answers come from the
// registry rather than from what the writer's cache remembers of its own registrations.
const writer = newClient();
const reader = newClient();

const user = (name) => ({
  schemaType: 'AVRO',
  schema: readSchema(schemasDir, name),
  references: [reference],
});

function refused(error) {
  if (!(error instanceof RestError)) throw error;
  return { status: error.status, error_code: error.errorCode, message: error.message };
}

function describe(info) {
  const references = (info.references ?? []).map((r) => `${r.name}=${r.subject}/${r.version}`);
  return { record: recordName(info.schema), references: references.join(',') };
}

await steps.step('register-address', async (out) => {
  const address = { schemaType: 'AVRO', schema: readSchema(schemasDir, 'address') };
  const registered = await writer.registerFullResponse(addressSubject, address);
  Object.assign(out, { id: registered.id, version: registered.version });
});
let guid;
await steps.step('register-user', async (out) => {
  const registered = await writer.registerFullResponse(subject, user('user-v1'));
  Object.assign(out, { id: registered.id, version: registered.version });
  guid = registered.guid;
});
await steps.step('guid', async (out) => {
  if (!guid) throw new Error('the register response carries no guid');
  out.guid = guid;
});
await steps.step('lookup', async (out) => {
  const found = await reader.getIdFullResponse(subject, user('user-v1'));
  Object.assign(out, { id: found.id, version: found.version });
});
await steps.step('get-by-id', async (out) => {
  const id = steps.value('register-user', 'id');
  Object.assign(out, describe(await reader.getBySubjectAndId(subject, id)));
});
await steps.step('get-by-guid', async (out) => {
  Object.assign(out, describe(await reader.getByGuid(steps.value('guid', 'guid'))));
});

await steps.step('register-v2', async (out) => {
  const registered = await writer.registerFullResponse(subject, user('user-v2'));
  Object.assign(out, { id: registered.id, version: registered.version });
});
await steps.step('latest-version', async (out) => {
  const latest = await reader.getLatestSchemaMetadata(subject);
  Object.assign(out, { id: latest.id, version: latest.version });
});
await steps.refusal('register-incompatible', () => writer.register(subject, user('user-breaking')), refused);

await steps.step('set-compatibility', async (out) => {
  out.level = await writer.updateCompatibility(subject, Compatibility.FULL);
});
await steps.step('get-compatibility', async (out) => {
  out.level = await reader.getCompatibility(subject);
});

let framed;
await steps.step('serialize', async (out) => {
  const serializer = new AvroSerializer(reader, SerdeType.VALUE, {
    autoRegisterSchemas: false,
    useLatestVersion: true,
  });
  framed = await serializer.serialize(topic, RECORD);
  Object.assign(out, { bytes: framed.length, magic: framed[0], id: framed.readUInt32BE(1) });
});
await steps.step('deserialize', async (out) => {
  if (framed === undefined) throw new Error('needs the bytes of step serialize, which did not succeed');
  // A consumer's client knows nothing yet: the writer schema comes by id from the registry.
  const deserializer = new AvroDeserializer(newClient(), SerdeType.VALUE, {});
  const decoded = await deserializer.deserialize(topic, framed);
  Object.assign(out, {
    equal: JSON.stringify(decoded) === JSON.stringify(RECORD),
    user_id: decoded.user_id,
  });
});

await steps.step('soft-delete-version', async (out) => {
  out.deleted = await writer.deleteSubjectVersion(subject, 2);
});
await steps.step('versions-after-soft-delete', async (out) => {
  out.versions = (await reader.getAllVersions(subject)).join(',');
});
await steps.step('soft-delete-subject', async (out) => {
  out.deleted = (await writer.deleteSubject(subject)).sort((a, b) => a - b).join(',');
});
await steps.step('hard-delete-subject', async (out) => {
  out.deleted = (await writer.deleteSubject(subject, true)).sort((a, b) => a - b).join(',');
});
await steps.refusal('versions-after-hard-delete', () => reader.getAllVersions(subject), refused);

process.exitCode = steps.failed ? 1 : 0;
