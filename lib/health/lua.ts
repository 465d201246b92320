import type { ConditionMatch, FieldPath, HealthRule, KindHealth, MessagePart, Predicate } from './rules.ts';

// Renders a kind's health rules to the Lua script Argo CD runs (gopher-lua, Lua 5.1, without the string library:
// argo-cd `util/lua/lua.go` `runLua` opens only base, table and package). The live object is the global `obj`; the
// script returns `{ status, message }` from the first rule that applies.

const quote = (text: string) => JSON.stringify(text);

/** Walks `obj` by keys, nil as soon as a step is not a table. */
const FIELD = `local function field(...)
  local value = obj
  for _, key in ipairs({ ... }) do
    if type(value) ~= "table" then
      return nil
    end
    value = value[key]
  end
  return value
end
`;

/** The first condition as {@link ConditionMatch} says. */
const FIND_CONDITION = `local function findCondition(conditionType, conditionStatus, reason)
  local conditions = field("status", "conditions")
  if type(conditions) ~= "table" then
    return nil
  end
  for _, condition in ipairs(conditions) do
    if condition.type == conditionType and (conditionStatus == nil or condition.status == conditionStatus) and (reason == nil or condition.reason == reason) then
      return condition
    end
  end
  return nil
end
`;

const ONE_OF = `local function oneOf(value, values)
  for _, candidate in ipairs(values) do
    if value == candidate then
      return true
    end
  end
  return false
end
`;

const fieldOf = (path: FieldPath) => `field(${path.map(quote).join(', ')})`;

function conditionOf(match: ConditionMatch): string {
  const args = [match.type, match.status, match.reason];
  while (args.length > 1 && args.at(-1) === undefined) args.pop();
  return `findCondition(${args.map((a) => (a === undefined ? 'nil' : quote(a))).join(', ')})`;
}

function predicate(p: Predicate): string {
  if ('present' in p) return `${fieldOf(p.present)} ~= nil`;
  if ('equals' in p) return `${fieldOf(p.equals)} == ${typeof p.value === 'string' ? quote(p.value) : String(p.value)}`;
  if ('oneOf' in p) return `oneOf(${fieldOf(p.oneOf)}, { ${p.values.map(quote).join(', ')} })`;
  if ('condition' in p) return `${conditionOf(p.condition)} ~= nil`;
  if ('all' in p) return p.all.map((q) => `(${predicate(q)})`).join(' and ');
  if ('not' in p && 'present' in p.not) return `${fieldOf(p.not.present)} == nil`;
  if ('any' in p) return p.any.map((q) => `(${predicate(q)})`).join(' or ');
  return `not (${predicate(p.not)})`;
}

function messagePart(part: MessagePart): string {
  if (typeof part === 'string') return quote(part);
  if ('field' in part) return fieldOf(part.field);
  if ('conditionField' in part) return `(${conditionOf(part.of)} or {}).${part.conditionField}`;
  return `(${part.firstOf.map(messagePart).join(' or ')})`;
}

function result(rule: HealthRule): string {
  const message = rule.message ? `, message = ${rule.message.map(messagePart).join(' .. ')}` : '';
  return `return { status = ${quote(rule.status)}${message} }`;
}

/** The Lua health script of one kind, as Argo CD's `resource.customizations.health.<group>_<kind>` holds it. */
export function renderLua(health: KindHealth): string {
  const lines = [
    `-- kvmigrate: Argo CD health of ${health.kind} (${health.group}), generated from lib/health/rules.ts.`,
    ...health.about.map((line) => `-- ${line}`),
    "-- Argo CD reports an object being deleted as Progressing before any script runs (gitops-engine",
    '-- health.GetResourceHealth). Lua 5.1, without the string library.',
  ];
  const body: string[] = [];
  for (const rule of health.rules) {
    if (rule.when) body.push(`if ${predicate(rule.when)} then`, `  ${result(rule)}`, 'end');
    else body.push(result(rule));
  }
  const code = body.join('\n');
  // Only the helpers the rules use (findCondition itself uses field).
  const helpers = [FIELD, ...(code.includes('findCondition(') ? [FIND_CONDITION] : []), ...(code.includes('oneOf(') ? [ONE_OF] : [])];
  return `${[...lines, '', ...helpers, code].join('\n')}\n`;
}
