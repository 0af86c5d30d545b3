// One line per step, `step: ok key=value …` or `step: FAILED why`, as tests/clients/py/steps.py
// prints them; tests/clients/transcript.py parses both.
import { readFileSync } from 'node:fs';
import { join } from 'node:path';

export class Steps {
  constructor() {
    this.failed = 0;
    this.done = new Map();
  }

  // Runs one step; a step that throws is printed as FAILED and the run goes on, so one
  // refusal does not hide what the next steps would have shown.
  async step(name, action) {
    const fields = {};
    try {
      await action(fields);
    } catch (error) {
      this.failed += 1;
      console.log(`${name}: FAILED ${error?.name ?? 'Error'}: ${oneLine(String(error?.message ?? error))}`);
      return;
    }
    this.done.set(name, fields);
    console.log(`${name}: ${render(fields)}`);
  }

  value(step, key) {
    const fields = this.done.get(step);
    if (fields === undefined || !(key in fields)) {
      throw new Error(`needs ${key} from step ${step}, which did not succeed`);
    }
    return fields[key];
  }

  // Expects `action` to be refused; `describe` turns the client's error into fields.
  async refusal(name, action, describe) {
    await this.step(name, async (fields) => {
      let accepted;
      try {
        accepted = await action();
      } catch (error) {
        Object.assign(fields, describe(error));
        return;
      }
      throw new Error(`accepted: ${JSON.stringify(accepted)}`);
    });
  }
}

function render(fields) {
  const parts = ['ok'];
  for (const [key, value] of Object.entries(fields)) {
    if (key !== 'message') parts.push(`${key}=${value}`);
  }
  if ('message' in fields) parts.push(`message=${oneLine(String(fields.message))}`);
  return parts.join(' ');
}

function oneLine(text) {
  return text.split(/\s+/).filter(Boolean).join(' ');
}

export function recordName(schemaText) {
  const document = JSON.parse(schemaText);
  return `${document.namespace}.${document.name}`;
}

export function readSchema(schemasDir, name) {
  return readFileSync(join(schemasDir, `${name}.avsc`), 'utf8');
}

export function args() {
  const [url, prefix, schemasDir] = process.argv.slice(2);
  if (!url || !prefix || !schemasDir) {
    console.error('usage: node SCRIPT REGISTRY_URL SUBJECT_PREFIX SCHEMAS_DIR');
    process.exit(2);
  }
  return { url, prefix, schemasDir };
}

export const RECORD = {
  user_id: 42,
  home: { street: 'Rue de la Loi 16', city: 'Brussels' },
  nickname: 'ada',
};
