import { typeDifferences, typeKind } from '../../bench/peers';

describe('bench peers: which outputs did the same conversion as csv2lake', () => {
  it('puts integer widths, floats and decimals, and every timestamp in one kind each', () => {
    expect(['BIGINT', 'INTEGER', 'SMALLINT', 'UBIGINT'].map(typeKind)).toEqual(Array(4).fill('integer'));
    expect(['DOUBLE', 'FLOAT', 'DECIMAL(18,2)'].map(typeKind)).toEqual(Array(3).fill('number'));
    expect(['TIMESTAMP', 'TIMESTAMP WITH TIME ZONE', 'TIMESTAMP_NS'].map(typeKind)).toEqual(
      Array(3).fill('timestamp'),
    );
    expect(['VARCHAR', 'BOOLEAN', 'DATE'].map(typeKind)).toEqual(['text', 'BOOLEAN', 'DATE']);
  });

  it('names each column whose kind differs, and columns missing on either side', () => {
    const csv2lake = new Map([
      ['id', 'BIGINT'],
      ['at', 'TIMESTAMP WITH TIME ZONE'],
      ['day', 'DATE'],
      ['gone', 'VARCHAR'],
    ]);
    const peer = new Map([
      ['id', 'INTEGER'],
      ['at', 'VARCHAR'],
      ['day', 'DATE'],
      ['extra', 'DOUBLE'],
    ]);

    expect(typeDifferences(csv2lake, peer)).toEqual([
      'at VARCHAR (csv2lake TIMESTAMP WITH TIME ZONE)',
      'extra DOUBLE (csv2lake none)',
      'gone missing',
    ]);
    expect(typeDifferences(csv2lake, csv2lake)).toEqual([]);
  });
});
