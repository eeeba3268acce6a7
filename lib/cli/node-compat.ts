/*
 * What the CLI needs of Node 22 on Node 20, which package.json's engines still accept: the interpreter
 * (aws-local-stepfunctions) calls Promise.withResolvers, new in Node 22, for every Task, so each file of a
 * run on Node 20 failed with "Promise.withResolvers is not a function". Imported first by bin/csv2lake.ts.
 */
interface Resolvers<T> {
  promise: Promise<T>;
  resolve: (value: T | PromiseLike<T>) => void;
  reject: (reason?: unknown) => void;
}

const promise = Promise as unknown as { withResolvers?: <T>() => Resolvers<T> };
if (typeof promise.withResolvers !== 'function') {
  Object.defineProperty(Promise, 'withResolvers', {
    configurable: true,
    writable: true,
    value<T>(): Resolvers<T> {
      let resolve!: Resolvers<T>['resolve'];
      let reject!: Resolvers<T>['reject'];
      const p = new Promise<T>((res, rej) => {
        resolve = res;
        reject = rej;
      });
      return { promise: p, resolve, reject };
    },
  });
}

export {};
