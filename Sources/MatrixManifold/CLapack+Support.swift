internal import CLapack
internal import Synchronization

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
/// count of GEMM (a GEMV is the case n = 1); the scaling by α and the accumulation with β are not
/// counted, nor are factorisations (QR, SVD) and elementwise passes. The difference of two
/// readings is the product work done between them, so dividing it by the time between them gives
/// the rate the products ran at, comparable with the GEMM rate of the machine.
public enum ProductWork {
  private static let counter = Atomic<Int>(0)

  /// Floating-point operations of all matrix products so far.
  public static var operations: Int { counter.load(ordering: .relaxed) }

  /// Adds one product of an m×k and a k×n operand.
  static func record(m: Int, n: Int, k: Int) {
    counter.wrappingAdd(2 &* m &* n &* k, ordering: .relaxed)
  }
}
