/// The shape of a sample's feature maps: `channels` images of `height × width`.
///
/// **Layout.** A sample's maps are one column of `channels·height·width` features stored
/// channel-fastest: entry (c, y, x) is feature `c + channels·(x + width·y)` (row by row, the
/// channels of a pixel adjacent). A grey image flattened row by row, as the data sets store it, is
/// already one map. Convolution and pooling outputs are matrices `channels × (pixels·batch)` with
/// this very memory order, so they are at the same time the feature columns of the next layer.
public struct FeatureMaps: Sendable, Hashable, CustomStringConvertible {
  /// Number of maps.
  public var channels: Int
  /// Rows of each map.
  public var height: Int
  /// Columns of each map.
  public var width: Int

  /// Maps of the given shape.
  public init(channels: Int, height: Int, width: Int) {
    self.channels = channels
    self.height = height
    self.width = width
  }

  /// Pixels per map, `height·width`.
  public var pixels: Int { height * width }
  /// Features per sample, `channels·height·width`.
  public var count: Int { channels * pixels }

  /// `channels×height×width`.
  public var description: String { "\(channels)×\(height)×\(width)" }
}

/// The geometry of a 2-D convolution (cross-correlation, as in PyTorch's `nn.Conv2d`) with a
/// square stride and zero padding.
///
/// Output pixel (y′, x′) of map o is `b_o + Σ_{c,i,j} K[o, c, i, j]·X[c, s·y′ − p + i, s·x′ − p + j]`
/// (zero outside the image). Lowered by im2col, the layer is the affine map `Z = W·P + b·1ᵀ` of the
/// patch matrix P (`patchSize × (outputPixels·batch)`, one column per output pixel) with the kernel
/// reshaped to the `outputChannels × patchSize` matrix W, `W[o, c + C·(j + kernelWidth·i)] = K[o, c, i, j]`
/// (channel fastest, like the feature maps). A low-rank convolution factorises this W as `U·S·Vᵀ`.
public struct Convolution: Sendable, Hashable {
  /// The input maps.
  public var input: FeatureMaps
  /// Number of output maps (rows of W).
  public var outputChannels: Int
  /// Kernel rows.
  public var kernelHeight: Int
  /// Kernel columns.
  public var kernelWidth: Int
  /// Step between neighbouring output pixels, in input pixels.
  public var stride: Int
  /// Zero rows and columns added on each side of the input.
  public var padding: Int

  /// A convolution; check it with ``validate()`` when its numbers come from a user.
  public init(
    input: FeatureMaps, outputChannels: Int, kernelHeight: Int, kernelWidth: Int, stride: Int = 1,
    padding: Int = 0
  ) {
    self.input = input
    self.outputChannels = outputChannels
    self.kernelHeight = kernelHeight
    self.kernelWidth = kernelWidth
    self.stride = stride
    self.padding = padding
  }

  /// A convolution with a square `kernel × kernel` kernel.
  public init(input: FeatureMaps, outputChannels: Int, kernel: Int, stride: Int = 1, padding: Int = 0) {
    self.init(
      input: input, outputChannels: outputChannels, kernelHeight: kernel, kernelWidth: kernel, stride: stride,
      padding: padding)
  }

  /// Entries of one patch, `inputChannels·kernelHeight·kernelWidth` (columns of W, the fan-in).
  public var patchSize: Int { input.channels * kernelHeight * kernelWidth }

  /// The output maps: `⌊(H + 2p − kh)/s⌋ + 1` rows and likewise columns.
  public var output: FeatureMaps {
    FeatureMaps(
      channels: outputChannels, height: (input.height + 2 * padding - kernelHeight) / stride + 1,
      width: (input.width + 2 * padding - kernelWidth) / stride + 1)
  }

  /// Throws ``TrainingError/invalidConfiguration(_:)`` unless every size is positive, the padding is
  /// non-negative and smaller than the kernel, and the kernel fits the padded input.
  public func validate() throws(TrainingError) {
    guard input.channels >= 1, input.height >= 1, input.width >= 1, outputChannels >= 1 else {
      throw .invalidConfiguration(
        "convolution over \(input) maps to \(outputChannels) channels: sizes must be ≥ 1")
    }
    guard kernelHeight >= 1, kernelWidth >= 1, stride >= 1 else {
      throw .invalidConfiguration(
        "convolution kernel \(kernelHeight)×\(kernelWidth) with stride \(stride): all must be ≥ 1")
    }
    guard padding >= 0, padding < Swift.min(kernelHeight, kernelWidth) else {
      throw .invalidConfiguration(
        "convolution padding \(padding) must be in 0..<\(Swift.min(kernelHeight, kernelWidth)) (the kernel size)"
      )
    }
    guard kernelHeight <= input.height + 2 * padding, kernelWidth <= input.width + 2 * padding else {
      throw .invalidConfiguration(
        "convolution kernel \(kernelHeight)×\(kernelWidth) is larger than the padded \(input) input")
    }
  }
}

/// The geometry of max pooling: the maximum over `size × size` windows, `stride` apart, of each
/// map (no padding; trailing rows and columns that fill no window are dropped, as in PyTorch).
public struct MaxPooling: Sendable, Hashable {
  /// The input maps.
  public var input: FeatureMaps
  /// Window side.
  public var size: Int
  /// Step between windows.
  public var stride: Int

  /// Pooling over `size × size` windows, by default non-overlapping (`stride = size`).
  public init(input: FeatureMaps, size: Int, stride: Int? = nil) {
    self.input = input
    self.size = size
    self.stride = stride ?? size
  }

  /// The output maps: `⌊(H − size)/stride⌋ + 1` rows and likewise columns, same channels.
  public var output: FeatureMaps {
    FeatureMaps(
      channels: input.channels, height: (input.height - size) / stride + 1,
      width: (input.width - size) / stride + 1)
  }

  /// Throws ``TrainingError/invalidConfiguration(_:)`` unless the sizes are positive and the window
  /// fits the input.
  public func validate() throws(TrainingError) {
    guard input.channels >= 1, size >= 1, stride >= 1, size <= input.height, size <= input.width else {
      throw .invalidConfiguration(
        "max pooling \(size)×\(size) with stride \(stride) does not fit \(input) maps")
    }
  }
}
