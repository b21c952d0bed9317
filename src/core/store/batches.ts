import type { ListOptions, ObjectInfo, ObjectStore } from './objectStore';

/** A store's listing a page at a time (its own batches when it has them). */
export async function* batches(store: ObjectStore, prefix: string, opts: ListOptions): AsyncIterable<ObjectInfo[]> {
  if (store.listBatches) {
    yield* store.listBatches(prefix, opts);
    return;
  }
  let batch: ObjectInfo[] = [];
  for await (const o of store.list(prefix, opts)) {
    batch.push(o);
    if (batch.length >= 1000) {
      yield batch;
      batch = [];
    }
  }
  if (batch.length) yield batch;
}

/** A listing of pages as one key at a time, stopping once the caller's signal is aborted. */
export async function* flatten(pages: AsyncIterable<ObjectInfo[]>, signal?: AbortSignal): AsyncIterable<ObjectInfo> {
  for await (const batch of pages) {
    for (const o of batch) {
      if (signal?.aborted) return;
      yield o;
    }
  }
}
