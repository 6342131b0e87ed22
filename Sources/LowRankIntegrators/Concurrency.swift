import Dispatch

/// `body(0) … body(count − 1)`, on several threads when `threads` > 1 and there is more than one
/// job (`DispatchQueue.concurrentPerform`, as many threads as the system gives it), else in order
/// on the calling thread. The jobs must be independent. The first error in job order is rethrown
/// after all jobs have run.
func concurrentMap<T>(_ count: Int, threads: Int, _ body: (Int) throws -> T) throws -> [T] {
  guard threads > 1, count > 1 else { return try (0..<count).map(body) }
  var results = [Result<T, any Error>?](repeating: nil, count: count)
  results.withUnsafeMutableBufferPointer { buffer in
    // Each job writes only its own slot.
    nonisolated(unsafe) let slots = buffer
    withoutActuallyEscaping(body) { body in
      nonisolated(unsafe) let body = body
      DispatchQueue.concurrentPerform(iterations: count) { i in slots[i] = Result { try body(i) } }
    }
  }
  return try results.map { try $0!.get() }
}
