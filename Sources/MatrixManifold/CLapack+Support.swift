internal import CLapack

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
  /// for the CPU when it was loaded, or the value of the environment variable `OPENBLAS_CORETYPE`.
  public static var coreName: String { String(cString: openblas_get_corename()) }
}
