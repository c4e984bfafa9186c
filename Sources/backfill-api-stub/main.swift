import BackfillAPIStub
import Foundation

/// `backfill-api-stub`: the loopback Backfill API stand-in, for a local sync
/// demo (`swift run backfill-api-stub --dir samples/backfill_api --port 8089 --token demo-token`).
let usage = """
    USAGE: backfill-api-stub --dir <dir> [--port <n>] [--token <t>] [--fail-429-every <n>] [--retry-after <s>]
                             [--fail-500-every <n>] [--malformed-every <n>] [--reset-every <n>] [--delay-ms <n>]
                             [--max-limit <n>] [--log <file>]
    Serves GET /v1/<resource>?limit=&page= from <dir>/<resource>.json on 127.0.0.1.
    """
var args = Array(CommandLine.arguments.dropFirst())
var values: [String: String] = [:]
while let flag = args.first {
    args.removeFirst()
    if flag == "--help" || flag == "-h" {
        print(usage)
        exit(0)
    }
    guard flag.hasPrefix("--"), let value = args.first else {
        FileHandle.standardError.write(Data("backfill-api-stub: bad argument '\(flag)'\n\(usage)\n".utf8))
        exit(64)
    }
    args.removeFirst()
    values[String(flag.dropFirst(2))] = value
}
guard let dir = values["dir"] else {
    FileHandle.standardError.write(Data("backfill-api-stub: --dir is required\n\(usage)\n".utf8))
    exit(64)
}
var options = StubServer.Options(dataDirectory: dir, token: values["token"])
options.every429 = Int(values["fail-429-every"] ?? "0") ?? 0
options.retryAfter = values["retry-after"] ?? "1"
options.every500 = Int(values["fail-500-every"] ?? "0") ?? 0
options.everyMalformed = Int(values["malformed-every"] ?? "0") ?? 0
options.everyReset = Int(values["reset-every"] ?? "0") ?? 0
options.delayMilliseconds = Int(values["delay-ms"] ?? "0") ?? 0
options.maxLimit = Int(values["max-limit"] ?? "100") ?? 100
options.logPath = values["log"]
do {
    let server = try StubServer(options: options, port: UInt16(values["port"] ?? "0") ?? 0)
    server.start()
    FileHandle.standardOutput.write(Data("backfill-api-stub: serving \(dir) on \(server.baseURL) (Ctrl-C to stop)\n".utf8))
    while true { sleep(3600) }
} catch {
    FileHandle.standardError.write(Data("backfill-api-stub: \(error)\n".utf8))
    exit(70)
}
