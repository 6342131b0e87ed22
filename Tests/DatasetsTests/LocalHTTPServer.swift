import Dispatch
import Foundation
import Synchronization

#if canImport(Glibc)
  import Glibc
#endif

/// An HTTP/1.1 server on 127.0.0.1 (a free port) that answers each GET from a fixed table of
/// paths, 404 for others, one connection at a time, and records the paths asked for: the download
/// code runs against it without a network.
final class LocalHTTPServer: Sendable {
  /// The port it listens on.
  let port: Int
  /// `http://127.0.0.1:port/`.
  var baseURL: URL { URL(string: "http://127.0.0.1:\(port)/")! }
  /// The request paths, in order.
  var requests: [String] { requested.withLock { $0 } }

  private let listener: Int32
  private let files: [String: [UInt8]]
  private let requested = Mutex<[String]>([])
  private let finished = DispatchSemaphore(value: 0)

  struct SocketError: Error, CustomStringConvertible {
    var description: String
  }

  /// Starts serving `files`, keyed by path (such as `/train-images-idx3-ubyte.gz`).
  init(files: [String: [UInt8]]) throws {
    let fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
    guard fd >= 0 else { throw SocketError(description: "socket: errno \(errno)") }
    var address = sockaddr_in()
    address.sin_family = sa_family_t(AF_INET)
    address.sin_port = 0
    address.sin_addr.s_addr = inet_addr("127.0.0.1")
    var length = socklen_t(MemoryLayout<sockaddr_in>.size)
    let bound = withUnsafeMutablePointer(to: &address) { pointer in
      pointer.withMemoryRebound(to: sockaddr.self, capacity: 1) { generic in
        bind(fd, generic, length) == 0 && listen(fd, 16) == 0 && getsockname(fd, generic, &length) == 0
      }
    }
    guard bound else {
      close(fd)
      throw SocketError(description: "bind/listen: errno \(errno)")
    }
    listener = fd
    port = Int(UInt16(bigEndian: address.sin_port))
    self.files = files
    Thread.detachNewThread { [self] in serve() }
  }

  /// Stops listening and waits for the serving thread to end.
  func stop() {
    shutdown(listener, Int32(SHUT_RDWR))
    close(listener)
    finished.wait()
  }

  private func serve() {
    while true {
      let client = accept(listener, nil, nil)
      guard client >= 0 else { break }
      answer(client)
      close(client)
    }
    finished.signal()
  }

  private func answer(_ client: Int32) {
    // A client that sends nothing cannot hold the thread (and `stop`) for more than 5 s.
    var timeout = timeval(tv_sec: 5, tv_usec: 0)
    setsockopt(client, SOL_SOCKET, SO_RCVTIMEO, &timeout, socklen_t(MemoryLayout<timeval>.size))
    var request: [UInt8] = []
    var buffer = [UInt8](repeating: 0, count: 4096)
    let end: [UInt8] = Array("\r\n\r\n".utf8)
    while !(request.count >= 4 && Array(request.suffix(4)) == end) {
      let n = read(client, &buffer, buffer.count)
      guard n > 0 else { break }
      request += buffer[0..<n]
    }
    let line = String(decoding: request, as: UTF8.self).split(separator: "\r\n").first ?? ""
    let words = line.split(separator: " ")
    let path = words.count > 1 ? String(words[1]) : ""
    requested.withLock { $0.append(path) }
    let body = files[path] ?? []
    let status = files[path] == nil ? "404 Not Found" : "200 OK"
    let head = "HTTP/1.1 \(status)\r\nContent-Length: \(body.count)\r\nConnection: close\r\n\r\n"
    let response = Array(head.utf8) + body
    var sent = 0
    while sent < response.count {
      let n = response.withUnsafeBytes {
        send(client, $0.baseAddress! + sent, response.count - sent, Int32(MSG_NOSIGNAL))
      }
      guard n > 0 else { return }
      sent += n
    }
  }
}
