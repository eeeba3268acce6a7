import { Stack } from 'aws-cdk-lib';
import * as glue from 'aws-cdk-lib/aws-glue';
import * as iam from 'aws-cdk-lib/aws-iam';
import { Construct } from 'constructs';

/** Props of {@link LakeCatalog}. */
export interface LakeCatalogProps {
  /**
   * The Glue database: lower case letters, digits and `_`, at most 255 characters (Athena takes no other
   * character in a database name, and Glue lower-cases names anyway, so a mixed-case name would be shown
   * differently from what was configured).
   * @default the stack name under {@link glueDatabaseNameOf} (`Csv2Lake` → `csv2lake`)
   */
  readonly databaseName?: string;
  /** What the database says it holds. @default 'csv2lake datasets of stack <stack name>' */
  readonly description?: string;
}

/** The Glue actions the reducer calls to keep one table per dataset and format and register partitions. */
export const CATALOG_WRITE_ACTIONS = [
  'glue:GetTable',
  'glue:CreateTable',
  'glue:UpdateTable',
  'glue:GetPartitions',
  'glue:BatchCreatePartition',
] as const;

const DATABASE_NAME = /^[a-z0-9_]{1,255}$/;

/**
 * The default Glue database name of a stack: its name lower-cased, every character other than `[a-z0-9_]`
 * replaced by `_` (`Csv2Lake-Prod` → `csv2lake_prod`). Stack names are `[A-Za-z][A-Za-z0-9-]*`, at most 128
 * characters, so the result is always a valid name.
 */
export function glueDatabaseNameOf(stackName: string): string {
  return stackName.toLowerCase().replace(/[^a-z0-9_]/g, '_');
}

/**
 * Checks a configured Glue database name.
 * @throws Error naming the value and the rule, with the normalized name to use instead
 */
export function checkGlueDatabaseName(name: string): string {
  if (!DATABASE_NAME.test(name))
    throw new Error(
      `glueDatabaseName ${JSON.stringify(name)}: a Glue database name for Athena is 1 to 255 lower case ` +
        `letters, digits or _ (try ${JSON.stringify(glueDatabaseNameOf(name).slice(0, 255) || 'csv2lake')})`,
    );
  return name;
}

/**
 * The Glue database the pipeline's datasets are registered in (one table per dataset and format, created by
 * the reducer at run time), and the narrowest grant that lets a function keep those tables.
 */
export class LakeCatalog extends Construct {
  readonly database: glue.CfnDatabase;
  readonly databaseName: string;

  constructor(scope: Construct, id: string, props: LakeCatalogProps = {}) {
    super(scope, id);
    const stack = Stack.of(this);
    this.databaseName = checkGlueDatabaseName(props.databaseName ?? glueDatabaseNameOf(stack.stackName));
    this.database = new glue.CfnDatabase(this, 'Database', {
      catalogId: stack.account,
      databaseInput: {
        name: this.databaseName,
        description: props.description ?? `csv2lake datasets of stack ${stack.stackName}`,
      },
    });
  }

  /**
   * The ARNs Glue authorizes table and partition calls of this database on: the catalog, the database and
   * its tables (Glue checks all three for every table call; partitions are authorized on their table).
   */
  resourceArns(): string[] {
    const stack = Stack.of(this);
    const base = `arn:${stack.partition}:glue:${stack.region}:${stack.account}`;
    return [
      `${base}:catalog`,
      `${base}:database/${this.databaseName}`,
      `${base}:table/${this.databaseName}/*`,
    ];
  }

  /** Lets `grantee` read, create and update this database's tables and register their partitions; nothing else. */
  grantTableWrites(grantee: iam.IGrantable): iam.Grant {
    return iam.Grant.addToPrincipal({
      grantee,
      actions: [...CATALOG_WRITE_ACTIONS],
      resourceArns: this.resourceArns(),
    });
  }
}
