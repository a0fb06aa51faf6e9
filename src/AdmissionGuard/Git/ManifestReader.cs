using System.Text.Json;
using AdmissionGuard.Core;
using AdmissionGuard.Core.Policy;
using YamlDotNet.Core;
using YamlDotNet.Core.Events;

namespace AdmissionGuard.Git;

/// <summary>A NetworkPolicy declared in a manifest file, with its place in the file.</summary>
/// <param name="Path">The file that declares it: for a rendered source, the base or component file kustomize read it from.</param>
/// <param name="ServedDigest">The digest of its spec as the API server would serve it (<see cref="ServedSpec"/>), when it could be rendered.</param>
internal sealed record DeclaredPolicy(CanonicalPolicy Policy, string Path, int DocumentIndex, SpecDigest? ServedDigest)
{
    private readonly string? _location;

    /// <summary>
    /// Where it lies, for messages: <c>apps/db.yaml: document 0</c>, with <c>item 2</c> in a List, <c>base/db.yaml via
    /// overlays/prod</c> for a render. Kept only when it is not the whole document's (<see cref="ManifestReader.DocumentLocation"/>):
    /// nearly every policy's is, and 50,000 of those strings are 6 MB.
    /// </summary>
    /// <remarks>Compared with the path and index already set: a copy made <c>with</c> another path follows it when its location was the default.</remarks>
    public string Location
    {
        get => _location ?? ManifestReader.DocumentLocation(Path, DocumentIndex);
        init => _location = value == ManifestReader.DocumentLocation(Path, DocumentIndex) ? null : value;
    }

    /// <summary>Whether <see cref="Location"/> is the whole document's in <see cref="Path"/>: known without making the string.</summary>
    public bool LocationIsDocument => _location is null;

    /// <summary>The folder of the rendered source whose build produced it; null for a plain file.</summary>
    public string? Via { get; init; }

    /// <summary>Something about the manifest worth fixing that does not make it invalid here (a <c>status</c> field).</summary>
    public string? Notice { get; init; }

    /// <summary>The served spec itself, kept when <see cref="ManifestReadOptions.KeepServedSpec"/> asked for it.</summary>
    public byte[]? ServedSpec { get; init; }

    /// <summary>What a baseline holds of it.</summary>
    public BaselineEntry Entry() => new(Policy, Path, DocumentIndex) { ServedDigest = ServedDigest, ServedSpec = ServedSpec, Via = Via };
}

/// <summary>A manifest that cannot be read, located by file and document (index from 0), in one line.</summary>
internal sealed class ManifestException(string path, int? documentIndex, string problem)
    : Exception(documentIndex is { } index ? $"{Core.Excerpt.Of(path, 300)}: document {index}: {Bounded(problem)}" : $"{Core.Excerpt.Of(path, 300)}: {Bounded(problem)}")
{
    public string Path { get; } = path;

    public int? DocumentIndex { get; } = documentIndex;

    public string Problem { get; } = Bounded(problem);

    /// <summary>A file's text can reach a problem through a library's message: one line, and short.</summary>
    private static string Bounded(string problem) => Core.Excerpt.Of(problem, 600);
}

/// <summary>
/// Reads the NetworkPolicies of one manifest file: multi-document YAML, <c>kind: List</c>, or JSON.
/// Other kinds, empty and comment-only documents are skipped; anything that does not parse is an
/// error naming the file and document.
/// </summary>
internal static class ManifestReader
{
    public const int MaxFileBytes = 8 * 1024 * 1024;

    /// <summary>kustomize records where it read each object from in this annotation (<c>buildMetadata: [originAnnotations]</c>).</summary>
    public const string OriginAnnotation = "config.kubernetes.io/origin";

    /// <summary>Whether a document of this kind holds its objects in <c>items</c>, where NetworkPolicies are read too.</summary>
    public static bool IsListKind(ReadOnlySpan<char> kind) => kind is "List" or "NetworkPolicyList";

    /// <summary>Whether a document of this kind can declare a NetworkPolicy: one, or a list of objects.</summary>
    public static bool MayDeclarePolicies(ReadOnlySpan<char> kind) => kind is PolicyReader.Kind || IsListKind(kind);

    /// <summary>Where a policy that is a whole document lies: <c>apps/db.yaml: document 0</c>.</summary>
    public static string DocumentLocation(string path, int documentIndex) => $"{path}: document {documentIndex}";

    public static IReadOnlyList<DeclaredPolicy> Read(string path, string text, string defaultNamespace) =>
        Read(path, text, new ManifestReadOptions(defaultNamespace));

    public static IReadOnlyList<DeclaredPolicy> Read(string path, string text, ManifestReadOptions options)
    {
        var limit = options.RenderedFrom is null ? MaxFileBytes : Sources.KustomizeBuild.MaxOutputBytes;
        if (text.Length > limit)
        {
            throw new ManifestException(path, null, $"file is larger than {limit / 1024 / 1024} MiB");
        }

        // Most manifests are in the block style that BlockYamlToJson reads without YamlDotNet's events. Whatever it
        // cannot read, and every file with an error, is read again below, and the error is located by line there.
        if (options.RenderedFrom is null && ReadBlockStyle(path, text, options) is { } read)
        {
            return read;
        }

        // Parsed once into indexed events; the nesting is checked there, before anything recursive runs,
        // so a deeply nested document is a located error rather than a stack overflow.
        var documentStarts = new List<long>();
        YamlNodes nodes;
        try
        {
            nodes = YamlNodes.Parse(text, documentStarts);
        }
        catch (Exception e) when (IsYamlFailure(e))
        {
            throw new ManifestException(path, Math.Max(0, documentStarts.Count - 1), Describe(e));
        }

        var result = new List<DeclaredPolicy>();
        for (var index = 0; index < nodes.Documents.Count; index++)
        {
            var root = nodes.Resolve(nodes.Documents[index]);
            if (nodes[root] is MappingStart)
            {
                try
                {
                    ReadDocument(nodes, root, path, index, options, result);
                }
                catch (Exception e) when (IsYamlFailure(e) || e is PolicyFormatException or JsonException)
                {
                    throw new ManifestException(path, index, Describe(e));
                }
            }
        }

        return result;
    }

    /// <summary>The policies of a text in the block subset, or null when it is not in it or something in it is invalid.</summary>
    private static List<DeclaredPolicy>? ReadBlockStyle(string path, string text, ManifestReadOptions options)
    {
        var documents = BlockYamlToJson.TryConvert(text, policiesOnly: true);
        if (documents is null)
        {
            return null;
        }

        try
        {
            var result = new List<DeclaredPolicy>();
            for (var index = 0; index < documents.Count; index++)
            {
                if (documents[index]?.RootElement is { ValueKind: JsonValueKind.Object } root && !ReadDocument(root, path, index, options, result))
                {
                    return null;
                }
            }

            return result;
        }
        catch (Exception e) when (IsYamlFailure(e) || e is PolicyFormatException or JsonException)
        {
            return null;
        }
        finally
        {
            documents.Dispose();
        }
    }

    /// <returns>False when a policy's apiVersion is not NetworkPolicy's: the reference reader words that error.</returns>
    private static bool ReadDocument(JsonElement root, string path, int index, ManifestReadOptions options, List<DeclaredPolicy> result)
    {
        var kind = StringProperty(root, "kind");
        if (IsListKind(kind))
        {
            if (root.TryGetProperty("items", out var items) && items.ValueKind == JsonValueKind.Array)
            {
                var item = 0;
                foreach (var element in items.EnumerateArray())
                {
                    if (element.ValueKind == JsonValueKind.Object && StringProperty(element, "kind") == PolicyReader.Kind)
                    {
                        if (StringProperty(element, "apiVersion") != PolicyReader.ApiVersion)
                        {
                            return false;
                        }

                        result.Add(FromJson(element, path, index, $"{DocumentLocation(path, index)} item {item}", options, origin: null, $"items[{item}]."));
                    }

                    item++;
                }
            }
        }
        else if (kind == PolicyReader.Kind)
        {
            if (StringProperty(root, "apiVersion") != PolicyReader.ApiVersion)
            {
                return false;
            }

            result.Add(FromJson(root, path, index, DocumentLocation(path, index), options, origin: null, ""));
        }

        return true;
    }

    private static string? StringProperty(JsonElement element, string name) =>
        element.TryGetProperty(name, out var value) && value.ValueKind == JsonValueKind.String ? value.GetString() : null;

    private static void ReadDocument(YamlNodes nodes, int root, string path, int index, ManifestReadOptions options, List<DeclaredPolicy> result)
    {
        var kind = nodes.ScalarValue(root, "kind");
        if (IsListKind(kind))
        {
            var items = nodes.Value(root, "items");
            if (items >= 0 && nodes[items] is SequenceStart)
            {
                var item = 0;
                foreach (var node in nodes.Items(items).Select(nodes.Resolve))
                {
                    if (nodes[node] is MappingStart && nodes.ScalarValue(node, "kind") == PolicyReader.Kind)
                    {
                        result.Add(ReadPolicy(nodes, node, path, index, $"{DocumentLocation(path, index)} item {item}", options, $"items[{item}]."));
                    }

                    item++;
                }
            }
        }
        else if (kind == PolicyReader.Kind)
        {
            result.Add(ReadPolicy(nodes, root, path, index, DocumentLocation(path, index), options, ""));
        }
    }

    /// <param name="itemPrefix">How the policy's fields are named within its document: <c>items[2].</c> in a List.</param>
    private static DeclaredPolicy ReadPolicy(YamlNodes nodes, int node, string path, int index, string location, ManifestReadOptions options, string itemPrefix)
    {
        // A rendered object is located by the file kustomize read it from: its place in the render means nothing to anyone.
        var origin = options.RenderedFrom is { } from ? Origin(nodes, node, from) ?? OriginByName(nodes, node, options) : null;
        if (origin is not null)
        {
            location = $"{origin} via {options.Via}";
        }

        try
        {
            var apiVersion = nodes.ScalarValue(node, "apiVersion");
            if (apiVersion != PolicyReader.ApiVersion)
            {
                throw new PolicyFormatException("apiVersion", $"NetworkPolicy must be {PolicyReader.ApiVersion}, not {Core.Excerpt.Quoted(apiVersion)}")
                {
                    Segments = ["apiVersion"],
                };
            }

            using var json = YamlToJson.Convert(nodes, node);
            return FromJson(json.RootElement, path, index, location, options, origin, itemPrefix);
        }
        catch (PolicyFormatException e) when (origin is not null)
        {
            throw new ManifestException(origin, null, $"{e.Message} (rendered by {options.Via})");
        }
        catch (PolicyFormatException e)
        {
            throw new ManifestException(path, index, $"{Line(nodes, node, e.Segments)}: {itemPrefix}{e.Message}");
        }
    }

    /// <summary>The policy an object declares, from its JSON form (<see cref="YamlToJson"/>'s or <see cref="BlockYamlToJson"/>'s).</summary>
    /// <param name="origin">For a render: the file kustomize read the object from.</param>
    private static DeclaredPolicy FromJson(JsonElement json, string path, int index, string location, ManifestReadOptions options, string? origin, string itemPrefix)
    {
        var policy = PolicyReader.Read(json, defaultNamespace: options.DefaultNamespace, strict: true, live: options.Live);
        if (policy.Name.Length == 0)
        {
            throw new PolicyFormatException("metadata.name", "required") { Segments = ["metadata"] };
        }

        if (options.RenderedFrom is not null && policy.Annotations.ContainsKey(OriginAnnotation))
        {
            policy = policy with { Annotations = policy.Annotations.Remove(OriginAnnotation) };
        }

        if (options.TargetNamespace is { } target)
        {
            policy = policy with { Namespace = target };
        }

        byte[]? served = null;
        SpecDigest? digest;
        if (options.KeepServedSpec)
        {
            served = ServedSpec.Render(json, policy.Spec);
            digest = served is null ? null : SpecDigest.Of(served);
        }
        else
        {
            digest = options.WithoutDigest ? null : ServedSpec.Digest(json, policy.Spec);
        }

        return new DeclaredPolicy(policy, origin ?? path, index, digest)
        {
            ServedSpec = served,
            Location = location,
            Via = origin is null ? null : options.Via,
            Notice = json.TryGetProperty("status", out _)
                ? $"{location}: {itemPrefix}status: API servers from Kubernetes 1.28 refuse this field (strict decoding error: unknown field \"status\"), "
                    + "so the GitOps sync of this file fails there; remove it"
                : null,
        };
    }

    /// <summary>
    /// The repository path of the file an object was rendered from, from its origin annotation (<c>path: ../base/x.yaml</c>,
    /// relative to the rendered folder; <c>configuredIn</c> for a generated object).
    /// </summary>
    private static string? Origin(YamlNodes nodes, int node, string renderedFrom)
    {
        var metadata = nodes.Value(node, "metadata");
        var annotations = metadata >= 0 && nodes[nodes.Resolve(metadata)] is MappingStart ? nodes.Value(nodes.Resolve(metadata), "annotations") : -1;
        var text = annotations >= 0 && nodes[nodes.Resolve(annotations)] is MappingStart ? nodes.ScalarValue(nodes.Resolve(annotations), OriginAnnotation) : null;
        if (text is null)
        {
            return null;
        }

        var line = text.Split('\n').Select(l => l.Trim()).FirstOrDefault(l => l.StartsWith("path:", StringComparison.Ordinal))
            ?? text.Split('\n').Select(l => l.Trim()).FirstOrDefault(l => l.StartsWith("configuredIn:", StringComparison.Ordinal));
        if (line is null)
        {
            return null;
        }

        var relative = line[(line.IndexOf(':', StringComparison.Ordinal) + 1)..].Trim();
        var parts = new List<string>(renderedFrom.Split('/', StringSplitOptions.RemoveEmptyEntries));
        foreach (var part in relative.Split('/', StringSplitOptions.RemoveEmptyEntries))
        {
            if (part == "..")
            {
                if (parts.Count > 0)
                {
                    parts.RemoveAt(parts.Count - 1);
                }
            }
            else if (part != ".")
            {
                parts.Add(part);
            }
        }

        return string.Join('/', parts);
    }

    /// <summary>The file <see cref="ManifestReadOptions.OriginOf"/> gives for the object's name, when there is no origin annotation.</summary>
    private static string? OriginByName(YamlNodes nodes, int node, ManifestReadOptions options)
    {
        var metadata = options.OriginOf is null ? -1 : nodes.Value(node, "metadata");
        return metadata >= 0 && nodes[nodes.Resolve(metadata)] is MappingStart && nodes.ScalarValue(nodes.Resolve(metadata), "name") is { Length: > 0 } name
            ? options.OriginOf!(name)
            : null;
    }

    /// <summary><c>line L, column C</c> of the field a path names, following it through the YAML (or of the deepest part found).</summary>
    private static string Line(YamlNodes nodes, int node, IReadOnlyList<object> segments)
    {
        var mark = nodes[node].Start;
        foreach (var segment in segments)
        {
            node = nodes.Resolve(node);
            var next = (segment, nodes[node]) switch
            {
                (string name, MappingStart) => nodes.EffectivePairs(node)
                    .Where(pair => nodes[nodes.Resolve(pair.Key)] is Scalar { Value: var key } && key == name)
                    .Select(pair => (Mark: nodes[pair.Key].Start, Node: pair.Value))
                    .LastOrDefault((Mark: default(Mark), Node: -1)),
                (int item, SequenceStart) => nodes.Items(node).Skip(item).Select(n => (Mark: nodes[n].Start, Node: n)).FirstOrDefault((Mark: default(Mark), Node: -1)),
                _ => (Mark: default(Mark), Node: -1),
            };
            if (next.Node < 0)
            {
                break;
            }

            (mark, node) = (next.Mark, next.Node);
        }

        return $"line {mark.Line}, column {mark.Column}";
    }

    private static string Describe(Exception e) => e switch
    {
        PolicyFormatException p => p.Message,
        YamlException y when y.Start.Line > 0 => $"line {y.Start.Line}, column {y.Start.Column}: {Inner(y)}",
        _ => Inner(e),
    };

    private static string Inner(Exception e)
    {
        while (e.InnerException is not null)
        {
            e = e.InnerException;
        }

        return e.Message.ReplaceLineEndings(" ");
    }

    internal static bool IsYamlFailure(Exception e) =>
        e is YamlException or InvalidOperationException or ArgumentException or FormatException or OverflowException;
}
