import Dispatch

/// `body(0) … body(count − 1)`, on several threads when `threads` > 1 and there is more than one
/// job (`DispatchQueue.concurrentPerform`, as many threads as the system gives it), else in order
/// on the calling thread. The jobs must be independent: each may write only what belongs to its
/// own index. The first error in job order is rethrown after all jobs have run. Used by the
/// integrators for per-block work and by the network for the parts of a batch.
package func concurrentMap<T, E: Error>(
  _ count: Int, threads: Int, _ body: (Int) throws(E) -> T
) throws(E) -> [T] {
  guard threads > 1, count > 1 else {
    var results: [T] = []
    results.reserveCapacity(count)
    for i in 0..<count { results.append(try body(i)) }
    return results
  }
  var results = [Result<T, E>?](repeating: nil, count: count)
  results.withUnsafeMutableBufferPointer { buffer in
    // Each job writes only its own slot.
    nonisolated(unsafe) let slots = buffer
    withoutActuallyEscaping(body) { body in
      nonisolated(unsafe) let body = body
      DispatchQueue.concurrentPerform(iterations: count) { i in
        slots[i] = Result { () throws(E) -> T in try body(i) }
      }
    }
  }
  return try results.map { r throws(E) -> T in try r!.get() }
}
