/// Element types of torch storages, named by their storage class (`torch.FloatStorage`, …).
public enum TorchDType: String, Sendable, CaseIterable {
    case f32 = "F32", f16 = "F16", bf16 = "BF16", f64 = "F64"
    case i64 = "I64", i32 = "I32", i16 = "I16", i8 = "I8", u8 = "U8", bool = "BOOL"

    public var byteSize: Int {
        switch self {
        case .f64, .i64: 8
        case .f32, .i32: 4
        case .f16, .bf16, .i16: 2
        case .i8, .u8, .bool: 1
        }
    }

    public var isFloatingPoint: Bool { [.f32, .f16, .bf16, .f64].contains(self) }

    /// The dtype of a `torch.<Name>Storage` class; nil for a storage class ovseg does not read.
    static func storageClass(_ name: String) -> TorchDType? {
        switch name {
        case "FloatStorage": .f32
        case "HalfStorage": .f16
        case "BFloat16Storage": .bf16
        case "DoubleStorage": .f64
        case "LongStorage": .i64
        case "IntStorage": .i32
        case "ShortStorage": .i16
        case "CharStorage": .i8
        case "ByteStorage", "UntypedStorage": .u8
        case "BoolStorage": .bool
        default: nil
        }
    }

    /// Storage classes torch defines that ovseg refuses by dtype (complex, quantised, 8-bit floats).
    static let knownUnsupportedStorages: Set<String> = [
        "ComplexFloatStorage", "ComplexDoubleStorage", "QInt8Storage", "QUInt8Storage", "QInt32Storage",
        "QUInt4x2Storage", "QUInt2x4Storage",
    ]
}

/// One storage record of the archive (`data/<key>`), as a persistent id names it.
public struct TorchStorageReference: Sendable, Equatable {
    /// The storage class name (`FloatStorage`), kept for messages.
    public let storageClass: String
    /// nil when the class is one ovseg does not read (reported when a tensor uses it).
    public let dtype: TorchDType?
    public let key: String
    /// Elements in the storage.
    public let count: Int

    public init(storageClass: String, dtype: TorchDType?, key: String, count: Int) {
        self.storageClass = storageClass
        self.dtype = dtype
        self.key = key
        self.count = count
    }
}

/// A tensor as `_rebuild_tensor_v2` describes it: a strided view of a storage.
public struct TorchTensorReference: Sendable, Equatable {
    public let storage: TorchStorageReference
    /// In elements.
    public let storageOffset: Int
    public let shape: [Int]
    /// In elements.
    public let strides: [Int]

    public var elementCount: Int { shape.reduce(1, *) }

    public init(storage: TorchStorageReference, storageOffset: Int, shape: [Int], strides: [Int]) {
        self.storage = storage
        self.storageOffset = storageOffset
        self.shape = shape
        self.strides = strides
    }
}

/// A value of the pickle subset state dicts use. Lists and dicts are reference boxes because
/// pickle mutates them after memoising (`SETITEMS` on a memoised `OrderedDict`).
public indirect enum PickleValue: Sendable {
    case none
    case bool(Bool)
    case int(Int)
    case float(Double)
    case string(String)
    case bytes([UInt8])
    case tuple([PickleValue])
    case list(PickleList)
    case dict(PickleDict)
    /// An allowed global, not yet called.
    case global(String)
    case storage(TorchStorageReference)
    case tensor(TorchTensorReference)
}

public final class PickleList: @unchecked Sendable {
    public var items: [PickleValue] = []
}

/// An ordered dictionary (Python dicts and `OrderedDict` keep insertion order).
public final class PickleDict: @unchecked Sendable {
    public private(set) var pairs: [(key: PickleValue, value: PickleValue)] = []
    private var index: [String: Int] = [:]

    func set(_ key: PickleValue, _ value: PickleValue) {
        if let name = key.hashableText, let at = index[name] {
            pairs[at].value = value
            return
        }
        if let name = key.hashableText { index[name] = pairs.count }
        pairs.append((key, value))
    }

    /// The value of a string key.
    public subscript(_ key: String) -> PickleValue? {
        index["s" + key].map { pairs[$0].value }
    }
}

extension PickleValue {
    /// A key for the dictionary's index (strings and integers).
    var hashableText: String? {
        switch self {
        case .string(let s): "s" + s
        case .int(let i): "i\(i)"
        default: nil
        }
    }
}

/// A reader of the pickle subset `torch.save` writes for state dicts (protocols 2–5).
///
/// Safety: nothing is imported or called. A `GLOBAL` is looked up in a fixed allow-list
/// (the tensor rebuild functions, torch storage classes, `collections.OrderedDict`,
/// `torch.Size`) and anything else stops reading with an error naming it; `REDUCE` only
/// applies those few functions, interpreted here; object construction opcodes (`NEWOBJ`,
/// `INST`, `OBJ`) and extension registries are refused. Sizes read from the stream are checked
/// against the remaining bytes before anything is allocated.
struct PickleReader {
    typealias Problem = TorchCheckpointError.Problem

    static let allowedGlobals: Set<String> = [
        "collections.OrderedDict", "torch._utils._rebuild_tensor_v2", "torch._utils._rebuild_tensor",
        "torch._utils._rebuild_parameter", "torch._utils._rebuild_parameter_with_state", "torch.Size",
    ]

    private let bytes: UnsafeRawBufferPointer
    private var position = 0
    private var stack: [PickleValue] = []
    private var marks: [Int] = []
    private var memo: [Int: PickleValue] = [:]

    init(_ bytes: UnsafeRawBufferPointer) { self.bytes = bytes }

    static func read(_ bytes: UnsafeRawBufferPointer) throws(Problem) -> PickleValue {
        var reader = PickleReader(bytes)
        return try reader.run()
    }

    private func fail(_ reason: String) -> Problem { .malformedPickle(offset: position, reason: reason) }

    private mutating func byte() throws(Problem) -> UInt8 {
        guard position < bytes.count else { throw fail("unexpected end of data") }
        defer { position += 1 }
        return bytes[position]
    }

    private mutating func take(_ n: Int) throws(Problem) -> UnsafeRawBufferPointer {
        guard n >= 0, n <= bytes.count - position else { throw fail("a length of \(n) runs past the end of data") }
        defer { position += n }
        return UnsafeRawBufferPointer(rebasing: bytes[position..<(position + n)])
    }

    private mutating func uint(_ n: Int) throws(Problem) -> Int {
        let raw = try take(n)
        var value: UInt64 = 0
        for i in (0..<n).reversed() { value = value << 8 | UInt64(raw[i]) }
        guard let exact = Int(exactly: value) else { throw fail("length too large") }
        return exact
    }

    private mutating func line() throws(Problem) -> String {
        guard let end = bytes[position...].firstIndex(of: UInt8(ascii: "\n")) else { throw fail("unterminated GLOBAL") }
        let text = String(decoding: UnsafeRawBufferPointer(rebasing: bytes[position..<end]), as: UTF8.self)
        position = end + 1
        return text
    }

    private mutating func pop() throws(Problem) -> PickleValue {
        if let mark = marks.last, stack.count <= mark { throw fail("stack underflow at a mark") }
        guard let top = stack.popLast() else { throw fail("stack underflow") }
        return top
    }

    private mutating func popToMark() throws(Problem) -> [PickleValue] {
        guard let mark = marks.popLast() else { throw fail("no MARK") }
        let items = Array(stack[mark...])
        stack.removeSubrange(mark...)
        return items
    }

    private func text(_ raw: UnsafeRawBufferPointer) throws(Problem) -> String {
        guard let string = String(validating: raw, as: UTF8.self) else { throw fail("invalid UTF-8 string") }
        return string
    }

    private mutating func global(_ module: String, _ name: String) throws(Problem) -> PickleValue {
        let full = module + "." + name
        if module == "torch", name.hasSuffix("Storage") {
            if TorchDType.storageClass(name) != nil || TorchDType.knownUnsupportedStorages.contains(name) {
                return .global(full)
            }
        }
        guard Self.allowedGlobals.contains(full) else { throw .forbiddenGlobal(full) }
        return .global(full)
    }

    mutating func run() throws(Problem) -> PickleValue {
        while true {
            let opcode = try byte()
            switch opcode {
            case 0x80: _ = try byte()  // PROTO
            case 0x95: _ = try take(8)  // FRAME
            case UInt8(ascii: "."):  // STOP
                guard stack.count == 1, marks.isEmpty else { throw fail("STOP with \(stack.count) values on the stack") }
                return stack[0]
            case UInt8(ascii: "("): marks.append(stack.count)
            case UInt8(ascii: "N"): stack.append(.none)
            case 0x88: stack.append(.bool(true))
            case 0x89: stack.append(.bool(false))
            case UInt8(ascii: "J"):
                stack.append(.int(Int(Int32(bitPattern: UInt32(try uint(4))))))
            case UInt8(ascii: "K"): stack.append(.int(try uint(1)))
            case UInt8(ascii: "M"): stack.append(.int(try uint(2)))
            case 0x8a, 0x8b:  // LONG1, LONG4: little-endian two's complement
                let n = opcode == 0x8a ? try uint(1) : try uint(4)
                guard n <= 8 else { throw fail("an integer of \(n) bytes is too large") }
                let raw = try take(n)
                var value: UInt64 = 0
                for i in (0..<n).reversed() { value = value << 8 | UInt64(raw[i]) }
                if n > 0, n < 8, raw[n - 1] & 0x80 != 0 { value |= ~0 << UInt64(8 * n) }
                stack.append(.int(Int(Int64(bitPattern: value))))
            case UInt8(ascii: "G"):
                let raw = try take(8)
                var bits: UInt64 = 0
                for i in 0..<8 { bits = bits << 8 | UInt64(raw[i]) }
                stack.append(.float(Double(bitPattern: bits)))
            case UInt8(ascii: "X"): stack.append(.string(try text(try take(try uint(4)))))
            case 0x8c: stack.append(.string(try text(try take(try uint(1)))))
            case 0x8d: stack.append(.string(try text(try take(try uint(8)))))
            case UInt8(ascii: "C"): stack.append(.bytes(Array(try take(try uint(1)))))
            case UInt8(ascii: "B"): stack.append(.bytes(Array(try take(try uint(4)))))
            case 0x8e: stack.append(.bytes(Array(try take(try uint(8)))))
            case UInt8(ascii: ")"): stack.append(.tuple([]))
            case UInt8(ascii: "t"): stack.append(.tuple(try popToMark()))
            case 0x85, 0x86, 0x87:
                let n = Int(opcode - 0x84)
                var items: [PickleValue] = []
                for _ in 0..<n { items.append(try pop()) }
                stack.append(.tuple(items.reversed()))
            case UInt8(ascii: "]"): stack.append(.list(PickleList()))
            case UInt8(ascii: "}"): stack.append(.dict(PickleDict()))
            case UInt8(ascii: "a"):
                let item = try pop()
                guard case .list(let list) = try pop() else { throw fail("APPEND to a non-list") }
                list.items.append(item)
                stack.append(.list(list))
            case UInt8(ascii: "e"):
                let items = try popToMark()
                guard case .list(let list) = try pop() else { throw fail("APPENDS to a non-list") }
                list.items.append(contentsOf: items)
                stack.append(.list(list))
            case UInt8(ascii: "s"):
                let value = try pop()
                let key = try pop()
                guard case .dict(let dict) = try pop() else { throw fail("SETITEM on a non-dict") }
                dict.set(key, value)
                stack.append(.dict(dict))
            case UInt8(ascii: "u"):
                let items = try popToMark()
                guard items.count % 2 == 0 else { throw fail("SETITEMS with an odd number of values") }
                guard case .dict(let dict) = try pop() else { throw fail("SETITEMS on a non-dict") }
                for i in stride(from: 0, to: items.count, by: 2) { dict.set(items[i], items[i + 1]) }
                stack.append(.dict(dict))
            case UInt8(ascii: "q"): memo[try uint(1)] = try peek()
            case UInt8(ascii: "r"): memo[try uint(4)] = try peek()
            case 0x94: memo[memo.count] = try peek()
            case UInt8(ascii: "h"), UInt8(ascii: "j"):
                let index = try uint(opcode == UInt8(ascii: "h") ? 1 : 4)
                guard let value = memo[index] else { throw fail("memo entry \(index) is not defined") }
                stack.append(value)
            case UInt8(ascii: "c"):
                let module = try line()
                let name = try line()
                stack.append(try global(module, name))
            case 0x93:
                guard case .string(let name) = try pop(), case .string(let module) = try pop() else {
                    throw fail("STACK_GLOBAL needs two strings")
                }
                stack.append(try global(module, name))
            case UInt8(ascii: "R"):
                let arguments = try pop()
                let callable = try pop()
                guard case .global(let name) = callable, case .tuple(let args) = arguments else {
                    throw fail("REDUCE needs an allowed global and an argument tuple")
                }
                stack.append(try call(name, args))
            case UInt8(ascii: "b"):
                _ = try pop()  // BUILD: the state (e.g. a state dict's `_metadata`) is not needed
                guard let top = stack.last else { throw fail("BUILD without an object") }
                switch top {
                case .dict, .tensor: break
                default: throw fail("BUILD on an unsupported object")
                }
            case UInt8(ascii: "Q"):
                stack.append(try persistentLoad(try pop()))
            case 0x30: _ = try pop()  // POP
            case 0x31: _ = try popToMark()  // POP_MARK
            case 0x32: stack.append(try peek())  // DUP
            default:
                throw fail("unsupported pickle opcode 0x\(String(opcode, radix: 16))")
            }
        }
    }

    private func peek() throws(Problem) -> PickleValue {
        guard let top = stack.last else { throw fail("memoising an empty stack") }
        return top
    }

    /// `('storage', torch.<Name>Storage, key, location, numel)`.
    private func persistentLoad(_ pid: PickleValue) throws(Problem) -> PickleValue {
        guard case .tuple(let items) = pid, items.count == 5, case .string("storage") = items[0],
              case .global(let type) = items[1], case .string(let key) = items[2], case .int(let count) = items[4],
              count >= 0
        else { throw fail("unsupported persistent id (expected ('storage', type, key, location, numel))") }
        let className = String(type.dropFirst("torch.".count))
        guard type.hasPrefix("torch."), className.hasSuffix("Storage") else {
            throw fail("persistent id names '\(type)', not a storage class")
        }
        return .storage(TorchStorageReference(
            storageClass: className, dtype: TorchDType.storageClass(className), key: key, count: count))
    }

    private func ints(_ value: PickleValue, _ what: String) throws(Problem) -> [Int] {
        guard case .tuple(let items) = value else { throw fail("\(what) is not a tuple") }
        var out: [Int] = []
        for item in items {
            guard case .int(let v) = item, v >= 0 else { throw fail("\(what) holds a non-integer or negative value") }
            out.append(v)
        }
        return out
    }

    private func call(_ name: String, _ args: [PickleValue]) throws(Problem) -> PickleValue {
        switch name {
        case "collections.OrderedDict":
            guard args.isEmpty else { throw fail("OrderedDict with arguments") }
            return .dict(PickleDict())
        case "torch.Size":
            guard args.count == 1 else { throw fail("torch.Size needs one tuple") }
            if case .list(let list) = args[0] { return .tuple(list.items) }
            return args[0]
        case "torch._utils._rebuild_tensor_v2", "torch._utils._rebuild_tensor":
            guard args.count >= 4, case .storage(let storage) = args[0], case .int(let offset) = args[1], offset >= 0 else {
                throw fail("\(name) needs (storage, offset, size, stride, …)")
            }
            let shape = try ints(args[2], "tensor size")
            let strides = try ints(args[3], "tensor stride")
            guard shape.count == strides.count else { throw fail("tensor size and stride differ in rank") }
            return .tensor(TorchTensorReference(storage: storage, storageOffset: offset, shape: shape, strides: strides))
        case "torch._utils._rebuild_parameter", "torch._utils._rebuild_parameter_with_state":
            guard let data = args.first, case .tensor = data else { throw fail("\(name) needs a tensor") }
            return data
        default:
            throw fail("'\(name)' cannot be called")
        }
    }
}
