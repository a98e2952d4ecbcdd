import Foundation

/// The committed synthetic SGSeg checkpoint (`Demo/sgseg-demo.safetensors`) that lets `ovseg demo`
/// run the whole segmentation core without downloading a model. It is a tiny model trained for two
/// CPU minutes on synthetic tiles (see `Demo/README.md`): its scores exercise the code, they say
/// nothing about SGSeg.
public enum DemoCheckpoint {
    /// File name inside the bundled `Demo` folder.
    public static let fileName = "sgseg-demo.safetensors"
    /// How results files and reports name it: stable across machines, unlike the bundle's path.
    public static let displayName = "Demo/sgseg-demo.safetensors (bundled synthetic demo model)"

    /// Where the bundled copy lives on this machine.
    public static func path() throws(DemoCheckpointMissing) -> String {
        guard let folder = Bundle.module.url(forResource: "Demo", withExtension: nil) else {
            throw DemoCheckpointMissing(location: "the SyntheticData resource bundle")
        }
        let path = folder.appendingPathComponent(fileName).path
        guard FileManager.default.isReadableFile(atPath: path) else { throw DemoCheckpointMissing(location: path) }
        return path
    }
}

/// The demo checkpoint is not where the build put it (the binary was moved without its bundle).
public struct DemoCheckpointMissing: Error, CustomStringConvertible {
    public let location: String
    public var description: String {
        "the demo checkpoint \(DemoCheckpoint.fileName) is missing from \(location); "
            + "keep the ovseg binary next to its resource bundles, or run the demo without its model"
    }
}
