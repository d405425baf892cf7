/**
 * A FIFO async mutex. The LMDB store runs one write transaction at a time (LMDB itself allows one
 * writer), and holding this across the async body of a transaction keeps its reads valid until commit.
 */
export class Mutex {
  private tail: Promise<void> = Promise.resolve();

  /** Runs `fn` once every earlier caller has finished; a failure of one caller never blocks the next. */
  run<T>(fn: () => Promise<T>): Promise<T> {
    const result = this.tail.then(fn);
    this.tail = result.then(
      () => undefined,
      () => undefined,
    );
    return result;
  }
}
