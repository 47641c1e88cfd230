import Foundation
import Testing
import SealrecDevices
import SealrecPipeline

/// What a camera that cannot be used says, on a machine without one (real cameras: the VM tests).
@Suite struct V4L2ErrorTests {
    @Test func missingDeviceNamesThePathAndTheErrno() {
        #expect {
            _ = try V4L2CameraSource(name: "suspect", path: "/dev/v4l/by-id/usb-NoSuchCamera-video-index0", format: "yuyv422",
                                     width: 640, height: 480, frameRate: 25)
        } throws: { error in
            let text = "\(error)"
            return text.contains("camera suspect") && text.contains("/dev/v4l/by-id/usb-NoSuchCamera-video-index0")
                && text.contains("No such file or directory")
        }
    }

    @Test func aFileThatIsNotACameraIsRefusedWhenOpened() {
        do {
            _ = try V4L2Device(path: "/dev/null")
            Issue.record("/dev/null opened as a camera")
        } catch {
            #expect(error.call == "open" && error.device == "/dev/null" && error.errno == ENOTTY)
            #expect("\(error)".contains("not a video4linux device"))
            #expect(!error.deviceLost)
        }
    }

    @Test func unsupportedPixelFormatIsRejectedBeforeOpening() {
        #expect {
            _ = try V4L2CameraSource(name: "room", path: "/dev/null", format: "p010le", width: 640, height: 480, frameRate: 25)
        } throws: { "\($0)".contains("p010le") && "\($0)".contains("yuyv422, uyvy422, nv12") }
    }

    @Test func fourCCNamesMatchTheConfigurationNames() {
        #expect(FourCC.codes(forFFmpegName: "yuyv422").map(\.description) == ["YUYV"])
        #expect(FourCC.codes(forFFmpegName: "MJPEG").map(\.description) == ["MJPG", "JPEG"])
        #expect(FourCC.codes(forFFmpegName: "nv12").first?.ffmpegName == "nv12")
        #expect(FourCC.codes(forFFmpegName: "hevc").isEmpty)
    }

    @Test func roomConfigCarriesCameraControlsAndStillRejectsUnknownKeys() throws {
        let json = #"{"cameras":[{"name":"c","source":"v4l2","path":"/dev/video0","pixelFormat":"nv12","controls":{"auto_exposure":1,"exposure_time_absolute":250}}]}"#
        let config = try RoomConfig.parse(Data(json.utf8))
        #expect(config.cameras[0].controls == ["auto_exposure": 1, "exposure_time_absolute": 250])
        #expect(throws: ConfigError.self) {
            _ = try RoomConfig.parse(Data(#"{"cameras":[{"name":"c","control":{"gain":1}}]}"#.utf8))
        }
    }
}
