internal import CLapack
internal import Synchronization

#if canImport(Glibc)
  internal import Glibc
#elseif canImport(Darwin)
  internal import Darwin
#endif

let columnMajor = Int32(LAPACK_COL_MAJOR)
let jobS = CChar(UInt8(ascii: "S"))
let jobV = CChar(UInt8(ascii: "V"))
let upper = CChar(UInt8(ascii: "U"))

extension Transpose {
  var cblas: CBLAS_TRANSPOSE { self == .none ? CblasNoTrans : CblasTrans }
}

/// Control of the threads OpenBLAS uses for every routine of this package.
public enum BLASThreads {
  /// Sets the number of threads OpenBLAS may use (at least 1).
  public static func set(_ count: Int) { openblas_set_num_threads(Int32(Swift.max(1, count))) }

  /// The number of threads OpenBLAS currently uses.
  public static var count: Int { Int(openblas_get_num_threads()) }
}

/// The OpenBLAS kernels in use.
public enum BLASKernels {
  /// OpenBLAS's name of its kernels (its "core"), such as "Haswell" or "Cooperlake": its choice
  /// for the CPU when it was loaded, or the value of the environment variable `OPENBLAS_CORETYPE`;
  /// "unknown" if OpenBLAS names none.
  public static var coreName: String { openblas_get_corename().map { String(cString: $0) } ?? "unknown" }
}

/// The arithmetic of the matrix products formed through ``Matrix/formProduct(_:_:opA:opB:alpha:beta:columns:)``
/// (and everything built on it: ``Matrix/product(_:_:opA:opB:alpha:)``, `*`, the network layers),
/// counted since the process started, from every thread.
///
/// A product of an m×k and a k×n operand counts `2·m·n·k` floating-point operations, the usual
/// count of GEMM (a GEMV is the case n = 1), and a Gram matrix `AᵀA` of a k×n A formed by its
/// upper triangle (the bases' augmentations, ``Matrix/augmentedBasis(with:)``) `n·(n + 1)·k`; the
/// scaling by α and the accumulation with β are not counted, nor are factorisations (QR, SVD) and
/// elementwise passes. The difference of two readings is the product work done between them, so
/// dividing it by the time between them gives the rate the products ran at, comparable with the
/// GEMM rate of the machine.
///
/// ``counting(_:)`` counts the products of one thread alone, for measurements that other threads
/// of the process must not disturb (tests running in parallel, for one).
public enum ProductWork {
  private static let counter = Atomic<Int>(0)
  /// The calling thread's innermost open scope: a pointer to its count, or nil.
  private static let scopeKey: pthread_key_t = {
    var key = pthread_key_t()
    precondition(pthread_key_create(&key, nil) == 0, "ProductWork: no thread-specific key left")
    return key
  }()

  /// Floating-point operations of all matrix products so far.
  public static var operations: Int { counter.load(ordering: .relaxed) }

  /// Runs `body` and returns its result with the operations of the matrix products formed on the
  /// calling thread while it ran. Products of other threads, including threads that `body` hands
  /// work to, are not counted here (``operations`` has them). Scopes nest: an inner scope's
  /// products count in the outer one too.
  public static func counting<R, E: Error>(_ body: () throws(E) -> R) throws(E) -> (
    result: R, operations: Int
  ) {
    let count = UnsafeMutablePointer<Int>.allocate(capacity: 1)
    count.initialize(to: 0)
    let outer = pthread_getspecific(scopeKey)
    pthread_setspecific(scopeKey, count)
    defer {
      pthread_setspecific(scopeKey, outer)
      outer?.assumingMemoryBound(to: Int.self).pointee &+= count.pointee
      count.deallocate()
    }
    let result = try body()
    return (result, count.pointee)
  }

  /// Adds one product of an m×k and a k×n operand.
  static func record(m: Int, n: Int, k: Int) {
    add(2 &* m &* n &* k)
  }

  /// Adds one Gram matrix `AᵀA` of a k×n A formed by its upper triangle (``BLASScalar/syrk``):
  /// `n·(n + 1)·k`, the multiplications and additions of the entries it computes.
  static func recordGram(n: Int, k: Int) {
    add(n &* (n &+ 1) &* k)
  }

  private static func add(_ operations: Int) {
    counter.wrappingAdd(operations, ordering: .relaxed)
    // Outside any scope: one thread-specific read (an index into the thread's own table).
    if let count = pthread_getspecific(scopeKey) {
      count.assumingMemoryBound(to: Int.self).pointee &+= operations
    }
  }
}
