// Field classification (sync-engine.md 5.4): the classifiers in the spec's order over the stored fingerprint and the
// name, under the general guards. Pure; it never queries the warehouse.
import { isa } from '../../drivers/types.ts';
import type { Fingerprint } from './fingerprint.ts';

export const CATEGORY_MAX_DISTINCT = 30;
export const LIST_MAX_DISTINCT = 1000;
export const LONG_TEXT_AVERAGE_LENGTH = 50;

export interface ClassifiableField {
  readonly name: string;
  readonly baseType: string;
  readonly semanticType: string | null;
  readonly hasFieldValues: string | null;
  readonly previewDisplay: boolean;
  readonly fingerprint: Fingerprint | null;
  readonly userSet: ReadonlySet<string>;
}

export interface FieldClassification {
  readonly semanticType: string | null;
  readonly hasFieldValues: string | null;
  readonly previewDisplay: boolean;
  /** Classifiers that threw, with their messages; the others still ran. */
  readonly failures: readonly { readonly classifier: string; readonly message: string }[];
}

type TypeConstraint = (baseType: string) => boolean;

const any: TypeConstraint = () => true;
const under =
  (...ancestors: string[]): TypeConstraint =>
  (baseType) =>
    ancestors.some((ancestor) => isa(baseType, ancestor));

/** A semantic type, or one per temporal kind: Date / Time / DateTime (checked in that order). */
type Target = string | { readonly date: string; readonly time: string; readonly dateTime: string };

function temporal(prefix: string, dateTime = `${prefix}Timestamp`): Target {
  return { date: `type/${prefix}Date`, time: `type/${prefix}Time`, dateTime: `type/${dateTime}` };
}

interface NameRule {
  readonly pattern: RegExp;
  readonly constraint: TypeConstraint;
  readonly target: Target;
}

const TEMPORAL = under('type/Date', 'type/Time', 'type/DateTime');

/** The name rules of 5.4, top to bottom; a bare word means "contains". */
export const NAME_RULES: readonly NameRule[] = [
  { pattern: /^id$/, constraint: any, target: 'type/PK' },
  { pattern: /_lat$|^lat$|^latitude$|^_latitude$/, constraint: under('type/Float'), target: 'type/Latitude' },
  {
    pattern: /_lon$|_lng$|_long$|_longitude$|^lon$|^lng$|^long$|^longitude$/,
    constraint: under('type/Float'),
    target: 'type/Longitude',
  },
  {
    pattern: /_type$|^type$|^status$|^role$|^sex$|^gender$|^currency$/,
    constraint: under('type/Integer', 'type/Text'),
    target: 'type/Category',
  },
  { pattern: /^active$/, constraint: under('type/Boolean', 'type/Integer'), target: 'type/Category' },
  { pattern: /_url$|^url$/, constraint: under('type/Text'), target: 'type/URL' },
  { pattern: /^city$/, constraint: under('type/Text'), target: 'type/City' },
  { pattern: /^country|_country$/, constraint: under('type/Text'), target: 'type/Country' },
  { pattern: /^name$|^first_?name$|^last_?name$|^full_?name$/, constraint: under('type/Text'), target: 'type/Name' },
  { pattern: /^zip_?code$|^postal_?code$/, constraint: under('type/Integer', 'type/Text'), target: 'type/ZipCode' },
  { pattern: /discount/, constraint: under('type/Number'), target: 'type/Discount' },
  { pattern: /income/, constraint: under('type/Number'), target: 'type/Income' },
  { pattern: /quantity|count$|number|^num_/, constraint: under('type/Integer'), target: 'type/Quantity' },
  { pattern: /join/, constraint: TEMPORAL, target: temporal('Join') },
  { pattern: /create|start/, constraint: TEMPORAL, target: temporal('Creation') },
  { pattern: /cancel/, constraint: TEMPORAL, target: temporal('Cancelation') },
  { pattern: /delete|deleti/, constraint: TEMPORAL, target: temporal('Deletion') },
  { pattern: /update/, constraint: TEMPORAL, target: temporal('Updated') },
  { pattern: /source|channel/, constraint: under('type/Integer', 'type/Text'), target: 'type/Source' },
  { pattern: /share|percent|rate$/, constraint: under('type/Float'), target: 'type/Share' },
  { pattern: /margin/, constraint: under('type/Number'), target: 'type/GrossMargin' },
  { pattern: /cost/, constraint: under('type/Number'), target: 'type/Cost' },
  { pattern: /duration/, constraint: under('type/Number'), target: 'type/Duration' },
  { pattern: /author|creator|created_?by/, constraint: under('type/Integer', 'type/Text'), target: 'type/Author' },
  { pattern: /owner/, constraint: under('type/Integer', 'type/Text'), target: 'type/Owner' },
  { pattern: /company|vendor/, constraint: under('type/Integer', 'type/Text'), target: 'type/Company' },
  { pattern: /subscription/, constraint: under('type/Integer', 'type/Text'), target: 'type/Subscription' },
  { pattern: /score|rating|stars/, constraint: under('type/Number'), target: 'type/Score' },
  { pattern: /description/, constraint: under('type/Text'), target: 'type/Description' },
  { pattern: /title/, constraint: under('type/Text'), target: 'type/Title' },
  { pattern: /comment/, constraint: under('type/Text'), target: 'type/Comment' },
  {
    pattern: /birthdate|birthday|date_?of_?birth/,
    constraint: under('type/Date', 'type/DateTime'),
    target: 'type/Birthdate',
  },
];

function resolveTarget(target: Target, baseType: string): string {
  if (typeof target === 'string') return target;
  if (isa(baseType, 'type/Date')) return target.date;
  if (isa(baseType, 'type/Time')) return target.time;
  return target.dateTime;
}

/** The semantic type the name rules give, or null: the first rule whose pattern and type constraint both match. */
export function semanticTypeByName(name: string, baseType: string): string | null {
  const lowered = name.toLowerCase();
  for (const rule of NAME_RULES) {
    if (rule.pattern.test(lowered) && rule.constraint(baseType)) return resolveTarget(rule.target, baseType);
  }
  return null;
}

const isKey = (semanticType: string | null): boolean =>
  semanticType !== null && (isa(semanticType, 'type/PK') || isa(semanticType, 'type/FK'));

/** Category and list eligibility (5.4 rule 2). */
export function isListEligible(baseType: string, semanticType: string | null): boolean {
  if (baseType === 'type/*') return false;
  if (['type/Temporal', 'type/Float', 'type/Collection', 'type/Structured'].some((t) => isa(baseType, t))) return false;
  return !isKey(semanticType);
}

const TEXT_SHARES: readonly (readonly [keyof NonNullable<TextShares>, number, string])[] = [
  ['percent-json', 0.95, 'type/SerializedJSON'],
  ['percent-url', 0.95, 'type/URL'],
  ['percent-email', 0.95, 'type/Email'],
  ['percent-state', 0.7, 'type/State'],
];

type TextShares = NonNullable<NonNullable<Fingerprint['type']>['type/Text']>;

/**
 * Runs the four classifiers in order. A classifier writes semantic_type only when it is not user-set and it was NULL
 * when classification began or was set by an earlier classifier here, and never replaces type/PK or type/FK;
 * has_field_values and preview_display are written only when not user-set.
 */
export function classifyField(field: ClassifiableField): FieldClassification {
  const { baseType, userSet } = field;
  let semanticType = field.semanticType;
  let hasFieldValues = field.hasFieldValues;
  let previewDisplay = field.previewDisplay;
  let setHere = false;
  const failures: { classifier: string; message: string }[] = [];
  const setSemanticType = (value: string) => {
    if (userSet.has('semantic_type') || isKey(semanticType)) return;
    if (field.semanticType !== null && !setHere) return;
    semanticType = value;
    setHere = true;
  };
  const run = (classifier: string, fn: () => void) => {
    try {
      fn();
    } catch (error) {
      failures.push({ classifier, message: error instanceof Error ? error.message : String(error) });
    }
  };
  const global = field.fingerprint?.global;
  const text = field.fingerprint?.type?.['type/Text'];

  run('name', () => {
    const byName = semanticTypeByName(field.name, baseType);
    if (byName !== null) setSemanticType(byName);
  });
  run('category', () => {
    if (global === undefined || !isListEligible(baseType, semanticType)) return;
    const distinct = global['distinct-count'];
    const present = global['nil%'] < 1 || isa(baseType, 'type/Boolean');
    if (semanticType === null && present && distinct <= CATEGORY_MAX_DISTINCT) setSemanticType('type/Category');
    if (hasFieldValues === null && !userSet.has('has_field_values') && distinct <= LIST_MAX_DISTINCT) {
      hasFieldValues = 'auto-list';
    }
  });
  run('long-text', () => {
    if (!isa(baseType, 'type/Text') || text === undefined || userSet.has('preview_display')) return;
    if (semanticType !== null && semanticType !== 'type/SerializedJSON') return;
    const averageLength = text['average-length'];
    if (averageLength !== null && averageLength > LONG_TEXT_AVERAGE_LENGTH) previewDisplay = false;
  });
  run('text-shares', () => {
    if (!isa(baseType, 'type/Text') || text === undefined) return;
    for (const [key, threshold, type] of TEXT_SHARES) {
      const share = text[key];
      if (share !== null && share >= threshold) {
        setSemanticType(type);
        return;
      }
    }
  });
  return { semanticType, hasFieldValues, previewDisplay, failures };
}
