import Foundation

#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// Lists the files under a folder, following symbolic links to folders and files.
///
/// Datasets on clusters are almost always reached through symbolic links (a `gt` link into a
/// shared store, per-split links to subfolders, linked files), and Foundation's directory
/// enumerator does not follow them, so a linked folder looked empty. This walk follows every
/// link. A link that leads back into a folder that contains it would make the tree infinite;
/// it is an error naming the link, found by comparing each folder's device and inode with those
/// of the folders above it, so the walk always ends.
enum FolderWalk {
    /// Relative paths (with `/` between components) of the regular files under `root`, sorted.
    /// Entries whose names start with `.` are listed like the others (the caller filters), except
    /// that a broken hidden link is passed over rather than reported.
    /// - Throws: when a folder cannot be read, a link is broken, or a link loops.
    static func files(under root: String) throws(HarnessError) -> [String] {
        guard let rootIdentity = identity(of: root) else {
            throw HarnessError(.pairing, "\(root): cannot read the folder (\(String(cString: strerror(errno))))")
        }
        var files: [String] = []
        try walk(folder: root, relative: "", ancestors: [(rootIdentity, root)], into: &files)
        return files.sorted()
    }

    /// A file system object's identity: the same folder reached by two paths has the same one.
    struct Identity: Equatable {
        let device: UInt64
        let inode: UInt64
        let isDirectory: Bool
        let isRegularFile: Bool
    }

    /// `stat` of `path`, following links; nil when it cannot be reached (errno says why).
    static func identity(of path: String) -> Identity? {
        var info = stat()
        guard stat(path, &info) == 0 else { return nil }
        let type = info.st_mode & S_IFMT
        return Identity(
            device: UInt64(info.st_dev), inode: UInt64(info.st_ino), isDirectory: type == S_IFDIR,
            isRegularFile: type == S_IFREG)
    }

    private static func walk(
        folder: String, relative: String, ancestors: [(identity: Identity, path: String)], into files: inout [String]
    ) throws(HarnessError) {
        let names: [String]
        do {
            names = try FileManager.default.contentsOfDirectory(atPath: folder).sorted()
        } catch {
            throw HarnessError(.pairing, "\(folder): cannot list the folder (\(error.localizedDescription))")
        }
        for name in names {
            let path = (folder as NSString).appendingPathComponent(name)
            let childRelative = relative.isEmpty ? name : relative + "/" + name
            guard let item = identity(of: path) else {
                let reason = String(cString: strerror(errno))
                if let target = try? FileManager.default.destinationOfSymbolicLink(atPath: path) {
                    if name.hasPrefix(".") { continue }  // hidden, like the files the caller skips
                    throw HarnessError(.pairing, "\(path): broken symbolic link to \(target) (\(reason)); fix or remove it")
                }
                throw HarnessError(.pairing, "\(path): cannot read it (\(reason))")
            }
            if item.isDirectory {
                if let ancestor = ancestors.first(where: { $0.identity.device == item.device && $0.identity.inode == item.inode }) {
                    let what = (try? FileManager.default.destinationOfSymbolicLink(atPath: path)).map { "symbolic link to \($0)" }
                        ?? "folder"
                    throw HarnessError(.pairing,
                        "\(path): \(what) leads back to \(ancestor.path), a folder that contains it, so the folder tree "
                            + "would never end (a loop); remove the link or make it point elsewhere")
                }
                try walk(folder: path, relative: childRelative, ancestors: ancestors + [(item, path)], into: &files)
            } else if item.isRegularFile {
                files.append(childRelative)
            }
        }
    }
}
