import { App, Stack } from 'aws-cdk-lib';
import { Template } from 'aws-cdk-lib/assertions';
import {
  CATALOG_WRITE_ACTIONS,
  checkGlueDatabaseName,
  glueDatabaseNameOf,
  LakeCatalog,
} from '../../../lib/constructs/lake-catalog';
import { bareStack } from './support';

test('the default database name is the stack name, lower case, every other character as _', () => {
  expect(glueDatabaseNameOf('Csv2Lake')).toBe('csv2lake');
  expect(glueDatabaseNameOf('Csv2Lake-Prod-eu')).toBe('csv2lake_prod_eu');
  // Every valid stack name gives a valid database name.
  expect(checkGlueDatabaseName(glueDatabaseNameOf('A-b-C-1'))).toBe('a_b_c_1');
});

test('a configured name must be lower case letters, digits or _, 1 to 255 of them, and the error suggests one', () => {
  expect(checkGlueDatabaseName('sales_lake_2')).toBe('sales_lake_2');
  expect(() => checkGlueDatabaseName('Sales-Lake')).toThrow(
    'glueDatabaseName "Sales-Lake": a Glue database name for Athena is 1 to 255 lower case letters, digits or _ (try "sales_lake")',
  );
  expect(() => checkGlueDatabaseName('')).toThrow(/glueDatabaseName "": .*try "csv2lake"/);
  expect(() => checkGlueDatabaseName('x'.repeat(256))).toThrow(/1 to 255/);
  expect(checkGlueDatabaseName('x'.repeat(255))).toHaveLength(255);
});

test('defaults: one Glue database in the account catalog, named after the stack', () => {
  const { stack } = bareStack();
  const catalog = new LakeCatalog(stack, 'Catalog');
  expect(catalog.databaseName).toBe('test');
  const t = Template.fromStack(stack);
  t.resourceCountIs('AWS::Glue::Database', 1);
  t.hasResourceProperties('AWS::Glue::Database', {
    CatalogId: '123456789012',
    DatabaseInput: { Name: 'test', Description: 'csv2lake datasets of stack Test' },
  });
});

test('props are honoured: databaseName and description; a bad name is refused at synth', () => {
  const { stack } = bareStack();
  new LakeCatalog(stack, 'Catalog', { databaseName: 'sales_lake', description: 'Sales exports' });
  Template.fromStack(stack).hasResourceProperties('AWS::Glue::Database', {
    DatabaseInput: { Name: 'sales_lake', Description: 'Sales exports' },
  });
  expect(() => new LakeCatalog(stack, 'Bad', { databaseName: 'Sales' })).toThrow(/glueDatabaseName "Sales"/);
});

test('grantTableWrites: the five table and partition actions on the catalog, the database and its tables, nothing else', () => {
  const { stack, fn } = bareStack();
  const catalog = new LakeCatalog(stack, 'Catalog', { databaseName: 'lake' });
  catalog.grantTableWrites(fn);
  const [policy] = Object.values(Template.fromStack(stack).findResources('AWS::IAM::Policy')) as any[];
  const glue = policy.Properties.PolicyDocument.Statement;
  expect(glue).toHaveLength(1);
  expect([...glue[0].Action].sort()).toEqual([...CATALOG_WRITE_ACTIONS].sort());
  expect([...glue[0].Action].sort()).toEqual([
    'glue:BatchCreatePartition',
    'glue:CreateTable',
    'glue:GetPartitions',
    'glue:GetTable',
    'glue:UpdateTable',
  ]);
  const arns = glue[0].Resource.map((r: any) =>
    r['Fn::Join'][1].map((p: any) => (typeof p === 'string' ? p : '<partition>')).join(''),
  );
  expect(arns).toEqual([
    'arn:<partition>:glue:eu-west-1:123456789012:catalog',
    'arn:<partition>:glue:eu-west-1:123456789012:database/lake',
    'arn:<partition>:glue:eu-west-1:123456789012:table/lake/*',
  ]);
});

test('an environment-agnostic stack names the catalog by the deploying account', () => {
  const stack = new Stack(new App(), 'Agnostic');
  new LakeCatalog(stack, 'Catalog');
  Template.fromStack(stack).hasResourceProperties('AWS::Glue::Database', {
    CatalogId: { Ref: 'AWS::AccountId' },
    DatabaseInput: { Name: 'agnostic' },
  });
});
