import { describe, expect, it } from 'vitest';
import { evalPath, jsonpathTemplate, parseTemplate, relaxedPath } from './jsonpath.js';

/**
 * Cases from kubectl's own template engine tests, as data: kubernetes/kubernetes,
 * staging/src/k8s.io/client-go/util/jsonpath/jsonpath_test.go at commit
 * 04791b4906602ffda5ccf9bc4c84d3329f1d7080 (TestKubernetes, TestStructInput, TestTypesInput,
 * TestJSONInput, TestEmptyRange; struct inputs written as the JSON they marshal to). Cases that
 * need Go's map printing or recursive descent inside filters are left out.
 */
const nodes = {
  kind: 'List',
  items: [
    { kind: 'None', metadata: { name: '127.0.0.1', labels: { 'kubernetes.io/hostname': '127.0.0.1' } }, status: { capacity: { cpu: '4' }, ready: true, addresses: [{ type: 'LegacyHostIP', address: '127.0.0.1' }] } },
    { kind: 'None', metadata: { name: '127.0.0.2', labels: { 'kubernetes.io/hostname': '127.0.0.2' } }, status: { capacity: { cpu: '8' }, ready: false, addresses: [{ type: 'LegacyHostIP', address: '127.0.0.2' }, { type: 'another', address: '127.0.0.3' }] } },
  ],
  users: [{ name: 'myself', user: {} }, { name: 'e2e', user: { username: 'admin', password: 'secret' } }],
};
const store = {
  Name: 'jsonpath',
  Book: [
    { Category: 'reference', Author: 'Nigel Rees', Title: 'Sayings of the Centurey', Price: 8.95 },
    { Category: 'fiction', Author: 'Evelyn Waugh', Title: 'Sword of Honour', Price: 12.99 },
    { Category: 'fiction', Author: 'Herman Melville', Title: 'Moby Dick', Price: 8.99 },
  ],
  Bicycle: [{ Color: 'red', Price: 19.95, IsNew: true }, { Color: 'green', Price: 20.01, IsNew: false }],
  Labels: { engieer: 10, 'web/html': 15, 'k8s-app': 20 },
  Employees: { jason: 'manager', dan: 'clerk' },
};
const types = { bools: [true, false, true, false], integers: [1, 2, 3, 4], floats: [1.0, 2.2, 3.3, 4.0], strings: ['one', 'two', 'three', 'four'], maps: [{ name: 'one', value: 1 }, { name: 'two', value: 2.02 }] };
const points = [{ id: 'i1', x: 4, y: -5 }, { id: 'i2', x: -2, y: -5, z: 1 }, { id: 'i3', x: 8, y: 3 }, { id: 'i4', x: -6, y: -1 }, { id: 'i5', x: 0, y: 2, z: 1 }, { id: 'i6', x: 1, y: 4 }];

const UPSTREAM: [name: string, template: string, input: unknown, expect: string][] = [
  ['range item', '{range .items[*]}{.metadata.name}, {end}{.kind}', nodes, '127.0.0.1, 127.0.0.2, List'],
  ['range item with quote', '{range .items[*]}{.metadata.name}{"\\t"}{end}', nodes, '127.0.0.1\t127.0.0.2\t'],
  ['range addresss', '{.items[*].status.addresses[*].address}', nodes, '127.0.0.1 127.0.0.2 127.0.0.3'],
  ['double range', '{range .items[*]}{range .status.addresses[*]}{.address}, {end}{end}', nodes, '127.0.0.1, 127.0.0.2, 127.0.0.3, '],
  ['item name', '{.items[*].metadata.name}', nodes, '127.0.0.1 127.0.0.2'],
  ['range nodes capacity', '{range .items[*]}[{.metadata.name}, {.status.capacity}] {end}', nodes, '[127.0.0.1, {"cpu":"4"}] [127.0.0.2, {"cpu":"8"}] '],
  ['user password', '{.users[?(@.name=="e2e")].user.password}', nodes, 'secret'],
  ['hostname', '{.items[0].metadata.labels.kubernetes\\.io/hostname}', nodes, '127.0.0.1'],
  ['hostname filter', '{.items[?(@.metadata.labels.kubernetes\\.io/hostname=="127.0.0.1")].kind}', nodes, 'None'],
  ['plain', 'hello jsonpath', null, 'hello jsonpath'],
  ['filter', '{[?(@<5)]}', [2, 6, 3, 7], '2 3'],
  ['quote', '{"{"}', null, '{'],
  ['union', '{[1,3,4]}', [0, 1, 2, 3, 4], '1 3 4'],
  ['array', '{[0:2]}', ['Monday', 'Tudesday'], 'Monday Tudesday'],
  ['variable', 'hello {.Name}', store, 'hello jsonpath'],
  ['dict/', '{$.Labels.web/html}', store, '15'],
  ['dict/ 2', '{$.Employees.jason}', store, 'manager'],
  ['dict-', '{.Labels.k8s-app}', store, '20'],
  ['nest', '{.Bicycle[*].Color}', store, 'red green'],
  ['allarray', '{.Book[*].Author}', store, 'Nigel Rees Evelyn Waugh Herman Melville'],
  ['allfields', '{range .Bicycle[*]}{ "{" }{ @.* }{ "} " }{end}', store, '{red 19.95 true} {green 20.01 false} '],
  ['recurfields', '{..Price}', store, '8.95 12.99 8.99 19.95 20.01'],
  ['allstructsSlice', '{.Bicycle}', store, '[{"Color":"red","Price":19.95,"IsNew":true},{"Color":"green","Price":20.01,"IsNew":false}]'],
  ['allstructs', '{range .Bicycle[*]}{ @ }{ " " }{end}', store, '{"Color":"red","Price":19.95,"IsNew":true} {"Color":"green","Price":20.01,"IsNew":false} '],
  ['lastarray', '{.Book[-1:]}', store, '{"Category":"fiction","Author":"Herman Melville","Title":"Moby Dick","Price":8.99}'],
  ['recurarray', '{..Book[2]}', store, '{"Category":"fiction","Author":"Herman Melville","Title":"Moby Dick","Price":8.99}'],
  ['bool', '{.Bicycle[?(@.IsNew==true)]}', store, '{"Color":"red","Price":19.95,"IsNew":true}'],
  ['nonexistent field', '{.hello}', store, ''],
  ['nonexistent field 2', 'before-{.hello}after', store, 'before-after'],
  ['boolSlice', '{ .bools }', types, '[true,false,true,false]'],
  ['boolSliceIndex', '{ .bools[-1] }', types, 'false'],
  ['boolSubSliceStep2', '{ .bools[:4:2] }', types, 'true true'],
  ['integerSliceIndexReverse', '{ .integers[-2] }', types, '3'],
  ['floatSlice', '{ .floats }', types, '[1,2.2,3.3,4]'],
  ['stringSubSliceFirst2', '{ .strings[0:2] }', types, 'one two'],
  ['mapSliceIndex', '{ .maps[0] }', types, '{"name":"one","value":1}'],
  ['exists filter', '{[?(@.z)].id}', points, 'i2 i5'],
  ['bracket key', "{[0]['id']}", points, 'i1'],
  ['empty range', '{range .items[*]}{.metadata.name}{end}', { items: [] }, ''],
  ['empty nested range', '{range .items[*]}{.metadata.name}{":"}{range @.spec.containers[*]}{.name}{","}{end}{"+"}{end}', { items: [] }, ''],
];

describe('kubectl jsonpath templates', () => {
  it.each(UPSTREAM)('%s: %s', (_name, template, input, expected) => {
    expect(jsonpathTemplate(template)(input)).toBe(expected);
  });

  it('refuses what kubectl refuses, before printing anything', () => {
    expect(() => parseTemplate('{hello}')).toThrow('unrecognized identifier hello');
    expect(() => parseTemplate('{range .Labels.*}{@}{end}{end}')).toThrow('not in range, nothing to end');
    expect(() => parseTemplate('{range .items[*]}{.x}')).toThrow('unclosed range');
    expect(() => parseTemplate('{.items[0]')).toThrow('unclosed action');
  });

  it('works on imagectl items', () => {
    const list = { kind: 'ImageList', items: [{ metadata: { name: 'sha256:1', labels: { tier: 'edge' } }, status: { state: 'idle', tags: ['a:1', 'a:2'] } }, { metadata: { name: 'sha256:2' }, status: { state: 'in-use', tags: [] } }] };
    expect(jsonpathTemplate('{.items[*].metadata.name}')(list)).toBe('sha256:1 sha256:2');
    expect(jsonpathTemplate('{range .items[*]}{.metadata.name}{"\\t"}{.status.tags}{"\\n"}{end}')(list)).toBe('sha256:1\t["a:1","a:2"]\nsha256:2\t[]\n');
    expect(jsonpathTemplate('{.items[?(@.status.state=="idle")].metadata.labels.tier}')(list)).toBe('edge');
    expect(evalPath('.metadata.name', list.items[0])).toEqual(['sha256:1']);
  });

  it('relaxes --sort-by and custom-columns paths as kubectl does', () => {
    expect(relaxedPath('.metadata.name')).toBe('.metadata.name');
    expect(relaxedPath('{.metadata.name}')).toBe('.metadata.name');
    expect(relaxedPath('metadata.name')).toBe('.metadata.name');
    expect(() => relaxedPath('{}')).toThrow('unexpected path');
  });
});
