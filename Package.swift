// swift-tools-version:6.0
// sealrec: synchronised, sealed recording for interview rooms.
// No Swift package dependencies: system C libraries only, through the C* targets.
import PackageDescription

let package = Package(
    name: "sealrec",
    products: [
        .executable(name: "sealrec", targets: ["sealrec"]),
        .executable(name: "sealrecd", targets: ["sealrecd"]),
    ],
    targets: [
        // C interop: Debian's libraries, with a shim header for what Swift cannot import (macros).
        .systemLibrary(name: "CFFmpeg", pkgConfig: "libavformat",
                       providers: [.apt(["libavformat-dev", "libavcodec-dev", "libavutil-dev",
                                         "libavfilter-dev", "libswscale-dev", "libswresample-dev"])]),
        .target(name: "CSystem"),
        .systemLibrary(name: "CSystemd", pkgConfig: "libsystemd", providers: [.apt(["libsystemd-dev"])]),
        .systemLibrary(name: "CQRencode", pkgConfig: "libqrencode", providers: [.apt(["libqrencode-dev"])]),
        .systemLibrary(name: "COpenSSL", pkgConfig: "libcrypto", providers: [.apt(["libssl-dev"])]),
        .systemLibrary(name: "CV4L2", pkgConfig: "libv4l2", providers: [.apt(["libv4l-dev"])]),
        .systemLibrary(name: "CALSA", pkgConfig: "alsa", providers: [.apt(["libasound2-dev"])]),
        .systemLibrary(name: "CCurl", pkgConfig: "libcurl", providers: [.apt(["libcurl4-openssl-dev"])]),

        // The strict signed-line format: canonical JSON (value, parser, encoder), signed lines
        // (manifest entries, grants, revocations), the session folder's file names and segment-name
        // rules, untrusted text made safe to print, and UTC times (RFC 3339). No dependencies: every reader uses it.
        .target(name: "SealrecFormat"),

        // The system layer (after apple/swift-system): one errno-carrying error, file descriptors,
        // durable writes, bounded reads of untrusted files, the monotonic clock, free disk space, signals.
        .target(name: "SealrecSystem", dependencies: ["CSystem"]),

        // Thin typed wrappers over the C libraries: no raw pointers above this line.
        .target(name: "SealrecAV", dependencies: ["CFFmpeg"]),
        .target(name: "SealrecCrypto", dependencies: ["COpenSSL", "SealrecSystem"]),
        // Cameras (V4L2) and microphones (ALSA): open, negotiate, stream, enumerate.
        .target(name: "SealrecDevices", dependencies: ["CV4L2", "CALSA", "SealrecSystem"]),

        // The recording pipeline: sources -> encoders -> segment muxer.
        .target(name: "SealrecPipeline", dependencies: ["SealrecFormat", "SealrecSystem", "SealrecAV", "SealrecCrypto", "SealrecDevices"]),
        // Manifest, sealing and verification.
        .target(name: "SealrecSeal", dependencies: ["SealrecFormat", "SealrecSystem", "SealrecCrypto"], exclude: ["MANIFEST.md"]),

        // Central storage: S3-compatible object stores and folders, and the persistent upload queue.
        .target(name: "SealrecStore", dependencies: ["SealrecFormat", "SealrecSystem", "SealrecCrypto", "CCurl", "CSystem"]),

        // A room's recording: the pipeline with its sealer (used by the CLI and the daemon).
        .target(name: "SealrecRoom", dependencies: ["SealrecFormat", "SealrecPipeline", "SealrecSeal", "SealrecCrypto", "CSystem"]),

        // The room daemon: control socket, state machine, crash recovery, systemd integration.
        .target(name: "SealrecDaemon", dependencies: ["SealrecFormat", "SealrecRoom", "SealrecPipeline", "SealrecSeal", "SealrecStore", "SealrecSystem", "SealrecAV", "SealrecCrypto", "CSystemd"]),

        // Access codes, QR codes and grants: who may fetch which session.
        .target(name: "SealrecAccess", dependencies: ["SealrecFormat", "SealrecSystem", "SealrecSeal", "SealrecCrypto", "SealrecStore", "CQRencode"]),

        .executableTarget(name: "sealrec", dependencies: ["SealrecFormat", "SealrecAccess", "SealrecRoom", "SealrecDaemon", "SealrecPipeline", "SealrecSeal", "SealrecAV", "SealrecCrypto", "SealrecStore", "SealrecDevices", "SealrecSystem"]),
        .executableTarget(name: "sealrecd", dependencies: ["SealrecDaemon", "SealrecPipeline"]),
        // Fuzz targets (Scripts/fuzz builds sealrec-fuzz with libFuzzer; the tests replay Fuzz/corpus).
        .target(name: "SealrecFuzz", dependencies: ["SealrecFormat", "SealrecSeal", "SealrecDaemon", "SealrecPipeline", "SealrecAccess", "SealrecStore", "SealrecCrypto"]),
        .target(name: "CFuzzDriver"),
        .executableTarget(name: "sealrec-fuzz", dependencies: ["SealrecFuzz", "CFuzzDriver"]),

        .target(name: "TestSupport", dependencies: ["SealrecAV"], path: "Tests/TestSupport"),
        .testTarget(name: "SealrecAVTests", dependencies: ["SealrecAV", "TestSupport"]),
        .testTarget(name: "SealrecCryptoTests", dependencies: ["SealrecCrypto"]),
        .testTarget(name: "SealrecSystemTests", dependencies: ["SealrecSystem"]),
        .testTarget(name: "SealrecFormatTests", dependencies: ["SealrecFormat"]),
        .testTarget(name: "SealrecPipelineTests", dependencies: ["SealrecSystem", "SealrecPipeline", "SealrecRoom", "SealrecCrypto", "SealrecSeal", "TestSupport"]),
        .testTarget(name: "SealrecSealTests", dependencies: ["SealrecFormat", "SealrecSeal", "SealrecCrypto", "TestSupport"]),
        .testTarget(name: "SealrecDevicesTests", dependencies: ["SealrecSystem", "SealrecDevices", "SealrecPipeline", "TestSupport"]),
        .testTarget(name: "SealrecDaemonTests", dependencies: ["SealrecDaemon", "SealrecCrypto", "SealrecPipeline", "TestSupport"]),
        .testTarget(name: "SealrecAccessTests", dependencies: ["SealrecAccess", "SealrecFormat", "SealrecCrypto", "SealrecStore", "TestSupport"]),
        .testTarget(name: "SealrecCLITests", dependencies: ["TestSupport", "SealrecAV"]),
        .testTarget(name: "SealrecFuzzTests", dependencies: ["SealrecFuzz"]),
        .testTarget(name: "SealrecStoreTests", dependencies: ["SealrecStore", "SealrecCrypto", "TestSupport"]),
    ]
)
