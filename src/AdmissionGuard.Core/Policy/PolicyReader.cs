using System.Collections.Immutable;
using System.Runtime.InteropServices;
using System.Text;
using System.Text.Json;

namespace AdmissionGuard.Core.Policy;

/// <summary>
/// Reads a NetworkPolicy object (as JSON: an AdmissionReview's object, or a Git manifest converted
/// from YAML) into its canonical form. Strict like <c>kubectl apply</c> with field validation:
/// unknown fields, wrong types and values the API server rejects are errors naming the field.
/// </summary>
/// <remarks>
/// Every webhook call reads two policies, so this is allocation-lean: field names are compared as
/// UTF-8 without making strings, lists are sorted in place, and the path of the field being read is
/// kept as a stack of segments that becomes a string only when there is an error to report.
/// </remarks>
public static class PolicyReader
{
    public const string ApiVersion = "networking.k8s.io/v1";
    public const string Kind = "NetworkPolicy";

    private static readonly ImmutableSortedDictionary<string, string> NoEntries = ImmutableSortedDictionary.Create<string, string>(StringComparer.Ordinal);

    /// <param name="policy">The whole object: apiVersion, kind, metadata, spec.</param>
    /// <param name="namespaceOverride">Namespace to use instead of metadata.namespace (the admission request's).</param>
    /// <param name="defaultNamespace">Namespace for an object that names none (Git manifests).</param>
    /// <param name="strict">
    /// As the API server decodes and validates a manifest that kubectl applies: unknown fields at every level, and
    /// names, label keys and label values it would refuse, are errors. Objects the API server itself serves were
    /// checked when they were written, and a newer server may add metadata fields, so they are read without it.
    /// </param>
    /// <param name="live">A live object (the API server's, or kubectl's copy of it): keep its <see cref="CanonicalPolicy.ManagedFields"/>.</param>
    /// <exception cref="PolicyFormatException">The object is not a NetworkPolicy the API server would accept, or holds a
    /// string that is not valid Unicode (invalid UTF-8, an escaped lone surrogate: JSON elements are decoded only when read).</exception>
    public static CanonicalPolicy Read(JsonElement policy, string? namespaceOverride = null, string defaultNamespace = "default", bool strict = false, bool live = false)
    {
        var path = new FieldPath(strict);
        try
        {
            return ReadElement(policy, namespaceOverride, defaultNamespace, live, path);
        }
        catch (InvalidOperationException e) when (e.Message.Contains("UTF-", StringComparison.Ordinal))
        {
            // System.Text.Json's "Cannot transcode invalid UTF-8 ..." and "... invalid UTF-16 JSON text ...", not a wrong-kind read.
            var problem = $"has a string that is not valid Unicode: {e.Message.ReplaceLineEndings(" ")}";
            var located = path.Error(null, problem);
            throw located.Path.Length > 0 ? located : new PolicyFormatException("(object)", problem);
        }
    }

    private static CanonicalPolicy ReadElement(JsonElement policy, string? namespaceOverride, string defaultNamespace, bool live, FieldPath path)
    {
        if (policy.ValueKind != JsonValueKind.Object)
        {
            throw new PolicyFormatException("(object)", $"must be a mapping, not {Describe(policy)}");
        }

        string name = "", ns = "";
        var labels = NoEntries;
        var annotations = NoEntries;
        PolicySpec? spec = null;
        foreach (var field in policy.EnumerateObject())
        {
            // Name, not NameEquals: a name that is not valid Unicode fails here, as for every other field.
            switch (field.Name)
            {
                case "metadata":
                    path.Push("metadata");
                    RequireKind(field.Value, JsonValueKind.Object, path);
                    name = OptionalString(field.Value, "name"u8, "name", path) ?? "";
                    ns = OptionalString(field.Value, "namespace"u8, "namespace", path) ?? "";
                    labels = StringMap(field.Value, "labels"u8, "labels", path);
                    annotations = StringMap(field.Value, "annotations"u8, "annotations", path);
                    if (path.Strict)
                    {
                        CheckMetadata(field.Value, name, ns, labels, annotations, path);
                    }

                    path.Pop();
                    break;
                case "spec":
                    spec = ReadSpec(field.Value, path);
                    break;
                case "apiVersion" or "kind" or "status":
                    break;
                default:
                    if (path.Strict)
                    {
                        throw path.Error(field.Name, KnownFields.Unknown(field.Name, KnownFields.Object));
                    }

                    break;
            }
        }

        ns = namespaceOverride is { Length: > 0 } ? namespaceOverride : ns.Length > 0 ? ns : defaultNamespace;
        return new CanonicalPolicy(ns, name, spec ?? ReadSpec(default, path), labels, annotations)
        {
            ManagedFields = live ? ManagedFields.Read(policy) : [],
        };
    }

    /// <summary>
    /// The spec and labels last read through it (for a review's object and oldObject). A policy whose spec
    /// (or labels) is the same JSON text, byte for byte, gets the same canonical value without reading it
    /// again: an UPDATE's object and oldObject mostly share theirs.
    /// </summary>
    public struct SharedParts
    {
        /// <summary>Starts with a spec known in advance: the digest of the declared policy's <see cref="ServedSpec"/> rendering, and its canonical spec.</summary>
        public static SharedParts Expecting(SpecDigest servedDigest, PolicySpec spec) => new() { ExpectedSpecDigest = servedDigest, ExpectedSpec = spec };

        internal ReadOnlyMemory<byte> SpecText;
        internal ReadOnlyMemory<byte> LabelsText;
        internal SpecDigest ExpectedSpecDigest;
        internal PolicySpec? ExpectedSpec;
        internal PolicySpec? Spec;
        internal ImmutableSortedDictionary<string, string>? Labels;
    }

    /// <summary>A policy found by a forward-only pass over an AdmissionReview (<see cref="PolicyScan"/>).</summary>
    /// <param name="shared">Parts reused when byte-identical to the ones it holds or expects; holds this policy's parts afterwards.</param>
    public static CanonicalPolicy Read(PolicyScan policy, string? namespaceOverride, string defaultNamespace, ref SharedParts shared)
    {
        if (policy.Problem is { } problem)
        {
            throw problem;
        }

        // Made only for what is read: a spec and labels recognised by their bytes need no path.
        FieldPath? path = null;
        var labels = policy.Labels.IsEmpty ? NoEntries : Labels(policy.Labels, path ??= new FieldPath(strict: false), ref shared.LabelsText, ref shared.Labels);
        PolicySpec spec;
        if (shared.Spec is not null && policy.Spec.Span.SequenceEqual(shared.SpecText.Span))
        {
            spec = shared.Spec;
        }
        else if (shared.ExpectedSpec is not null && shared.ExpectedSpecDigest.IsDigestOf(policy.Spec.Span))
        {
            spec = shared.ExpectedSpec;
        }
        else if (policy.Spec.IsEmpty)
        {
            spec = ReadSpec(default, path ??= new FieldPath(strict: false));
        }
        else
        {
            using var document = JsonDocument.Parse(policy.Spec, new JsonDocumentOptions { MaxDepth = 128 });
            spec = ReadSpec(document.RootElement, path ??= new FieldPath(strict: false));
        }

        shared.SpecText = policy.Spec;
        shared.Spec = spec;
        var ns = namespaceOverride is { Length: > 0 } ? namespaceOverride : policy.Namespace.Length > 0 ? policy.Namespace : defaultNamespace;
        return new CanonicalPolicy(ns, policy.Name, spec, labels, policy.Annotations);
    }

    /// <summary>Labels from their raw JSON, or the shared ones when byte-identical.</summary>
    private static ImmutableSortedDictionary<string, string> Labels(
        ReadOnlyMemory<byte> map, FieldPath path, ref ReadOnlyMemory<byte> sharedText, ref ImmutableSortedDictionary<string, string>? shared)
    {
        if (shared is not null && map.Span.SequenceEqual(sharedText.Span))
        {
            return shared;
        }

        using var document = JsonDocument.Parse(map);
        path.Push("metadata");
        var entries = StringMap(document.RootElement, "labels", path);
        path.Pop();
        sharedText = map;
        shared = entries;
        return entries;
    }

    /// <summary>A spec on its own, read as a review's is (not strictly).</summary>
    internal static PolicySpec ReadSpec(JsonElement spec) => ReadSpec(spec, new FieldPath(strict: false));

    private static PolicySpec ReadSpec(JsonElement spec, FieldPath path)
    {
        var podSelector = LabelSelector.Everything;
        var ingress = ImmutableArray<PolicyRule>.Empty;
        var egress = ImmutableArray<PolicyRule>.Empty;
        var policyTypes = ImmutableArray<string>.Empty;
        if (spec.ValueKind != JsonValueKind.Undefined && !IsNull(spec))
        {
            path.Push("spec");
            RequireKind(spec, JsonValueKind.Object, path);
            foreach (var field in spec.EnumerateObject())
            {
                if (field.NameEquals("podSelector"u8))
                {
                    podSelector = Child(field.Value, path, "podSelector", ReadSelector) ?? LabelSelector.Everything;
                }
                else if (field.NameEquals("ingress"u8))
                {
                    ingress = Child(field.Value, path, "ingress", static (rules, path) => ReadRules(rules, path, ingress: true));
                }
                else if (field.NameEquals("egress"u8))
                {
                    egress = Child(field.Value, path, "egress", static (rules, path) => ReadRules(rules, path, ingress: false));
                }
                else if (field.NameEquals("policyTypes"u8))
                {
                    policyTypes = Child(field.Value, path, "policyTypes", static (list, path) => ReadSet(list, path, StringSet.PolicyType));
                }
                else
                {
                    throw path.Error(field.Name, KnownFields.Unknown(field.Name, KnownFields.Spec));
                }
            }

            path.Pop();
        }

        if (policyTypes.IsEmpty)
        {
            // The API server's defaulting (SetDefaults_NetworkPolicy).
            policyTypes = egress.IsEmpty ? IngressOnly : IngressAndEgress;
        }

        return new PolicySpec(podSelector, policyTypes, ingress, egress);
    }

    private static readonly ImmutableArray<string> IngressOnly = ["Ingress"];
    private static readonly ImmutableArray<string> IngressAndEgress = ["Egress", "Ingress"];

    private static ImmutableArray<PolicyRule> ReadRules(JsonElement rules, FieldPath path, bool ingress) =>
        ReadList(rules, path, ingress ? IngressRule : EgressRule, static r => r.Key);

    private static readonly Func<JsonElement, FieldPath, PolicyRule> IngressRule = static (rule, path) => ReadRule(rule, path, "from"u8, "from", KnownFields.IngressRule);
    private static readonly Func<JsonElement, FieldPath, PolicyRule> EgressRule = static (rule, path) => ReadRule(rule, path, "to"u8, "to", KnownFields.EgressRule);

    private static PolicyRule ReadRule(JsonElement rule, FieldPath path, ReadOnlySpan<byte> peersField, string peersFieldName, string[] known)
    {
        RequireKind(rule, JsonValueKind.Object, path);
        var peers = ImmutableArray<Peer>.Empty;
        var ports = ImmutableArray<PolicyPort>.Empty;
        foreach (var field in rule.EnumerateObject())
        {
            if (field.NameEquals(peersField))
            {
                peers = Child(field.Value, path, peersFieldName, static (list, path) => ReadList(list, path, ReadPeer, static p => p.Key));
            }
            else if (field.NameEquals("ports"u8))
            {
                ports = Child(field.Value, path, "ports", static (list, path) => ReadList(list, path, ReadPort, static p => p.Text));
            }
            else
            {
                throw path.Error(field.Name, KnownFields.Unknown(field.Name, known));
            }
        }

        return new PolicyRule(peers, ports);
    }

    /// <summary>
    /// A list read item by item (the path names each item's index), as a canonical set: an absent or null list is
    /// empty, anything but a list is an error.
    /// </summary>
    private static ImmutableArray<T> ReadList<T>(JsonElement list, FieldPath path, Func<JsonElement, FieldPath, T> readItem, Func<T, string> key)
    {
        if (!IsList(list, path, out var count))
        {
            return [];
        }

        var items = new T[count];
        var index = 0;
        foreach (var item in list.EnumerateArray())
        {
            path.Push(index);
            items[index++] = readItem(item, path);
            path.Pop();
        }

        return Canonical(items, index, key);
    }

    /// <summary>A field's value read with its name on the path.</summary>
    private static T Child<T>(JsonElement value, FieldPath path, string name, Func<JsonElement, FieldPath, T> read)
    {
        path.Push(name);
        var result = read(value, path);
        path.Pop();
        return result;
    }

    private static Peer ReadPeer(JsonElement peer, FieldPath path)
    {
        RequireKind(peer, JsonValueKind.Object, path);
        LabelSelector? pods = null, namespaces = null;
        IpBlock? block = null;
        foreach (var field in peer.EnumerateObject())
        {
            if (field.NameEquals("podSelector"u8))
            {
                pods = Child(field.Value, path, "podSelector", ReadSelector);
            }
            else if (field.NameEquals("namespaceSelector"u8))
            {
                namespaces = Child(field.Value, path, "namespaceSelector", ReadSelector);
            }
            else if (field.NameEquals("ipBlock"u8))
            {
                block = IsNull(field.Value) ? null : Child(field.Value, path, "ipBlock", ReadIpBlock);
            }
            else
            {
                throw path.Error(field.Name, KnownFields.Unknown(field.Name, KnownFields.Peer));
            }
        }

        if (block is not null && (pods is not null || namespaces is not null))
        {
            throw path.Error(null, "ipBlock may not be combined with podSelector or namespaceSelector");
        }

        if (block is null && pods is null && namespaces is null)
        {
            throw path.Error(null, "must specify a peer (podSelector, namespaceSelector or ipBlock)");
        }

        return Peer.Create(pods, namespaces, block);
    }

    private static IpBlock ReadIpBlock(JsonElement block, FieldPath path)
    {
        RequireKind(block, JsonValueKind.Object, path);
        string? cidr = null;
        var except = ImmutableArray<string>.Empty;
        foreach (var field in block.EnumerateObject())
        {
            if (field.NameEquals("cidr"u8))
            {
                cidr = Child(field.Value, path, "cidr", static (value, path) => Network(RequireString(value, path), path));
            }
            else if (field.NameEquals("except"u8))
            {
                except = Child(field.Value, path, "except", static (list, path) => ReadSet(list, path, StringSet.Network));
            }
            else
            {
                throw path.Error(field.Name, KnownFields.Unknown(field.Name, KnownFields.IpBlock));
            }
        }

        return new IpBlock(cidr ?? throw path.Error("cidr", "required"), except);
    }

    private static PolicyPort ReadPort(JsonElement port, FieldPath path)
    {
        RequireKind(port, JsonValueKind.Object, path);
        var protocol = "TCP";
        int? number = null, endPort = null;
        string? name = null;
        foreach (var field in port.EnumerateObject())
        {
            if (field.NameEquals("protocol"u8))
            {
                if (IsNull(field.Value))
                {
                    continue;
                }

                path.Push("protocol");
                protocol = RequireString(field.Value, path) switch
                {
                    // The shared literals: the canonical port text is built from them many times.
                    "TCP" => "TCP",
                    "UDP" => "UDP",
                    "SCTP" => "SCTP",
                    var other => throw path.Error(null, $"unsupported value {Excerpt.Quoted(other)}: must be TCP, UDP or SCTP"),
                };
                path.Pop();
            }
            else if (field.NameEquals("port"u8))
            {
                path.Push("port");
                if (field.Value.ValueKind == JsonValueKind.Number)
                {
                    number = PortNumber(field.Value, path);
                }
                else if (field.Value.ValueKind == JsonValueKind.String)
                {
                    name = PortName(field.Value.GetString()!, path);
                }
                else if (!IsNull(field.Value))
                {
                    throw path.Error(null, "must be a port number or a port name");
                }

                path.Pop();
            }
            else if (field.NameEquals("endPort"u8))
            {
                path.Push("endPort");
                endPort = IsNull(field.Value) ? null : PortNumber(field.Value, path);
                path.Pop();
            }
            else
            {
                throw path.Error(field.Name, KnownFields.Unknown(field.Name, KnownFields.Port));
            }
        }

        if (endPort is not null && (number is null || endPort < number))
        {
            throw path.Error("endPort", "needs a numeric port that is not greater than it");
        }

        return new PolicyPort(protocol, number, endPort, name);
    }

    private static int PortNumber(JsonElement value, FieldPath path) =>
        value.ValueKind == JsonValueKind.Number && value.TryGetInt32(out var number) && number is >= 1 and <= 65535
            ? number
            : throw path.Error(null, $"must be a port number between 1 and 65535, not {Excerpt.Of(value.GetRawText(), 40)}");

    private static string PortName(string name, FieldPath path)
    {
        // IANA_SVC_NAME: 1-15 lower-case alphanumerics or '-', at least one letter. "80" as a string is
        // an error at the API server, not a port number.
        var valid = name.Length is >= 1 and <= 15
            && name.AsSpan().IndexOfAnyExcept(PortNameCharacters) < 0
            && name.AsSpan().IndexOfAnyInRange('a', 'z') >= 0 && name[0] != '-' && name[^1] != '-' && !name.Contains("--", StringComparison.Ordinal);
        return valid ? name : throw path.Error(null, $"invalid port name {Excerpt.Quoted(name)}: write a number without quotes, or a name of 1-15 lower-case letters, digits and '-'");
    }

    private static readonly System.Buffers.SearchValues<char> PortNameCharacters =
        System.Buffers.SearchValues.Create("abcdefghijklmnopqrstuvwxyz0123456789-");

    private static LabelSelector? ReadSelector(JsonElement selector, FieldPath path)
    {
        if (IsNull(selector))
        {
            return null;
        }

        RequireKind(selector, JsonValueKind.Object, path);
        var labels = ImmutableArray<KeyValuePair<string, string>>.Empty;
        var expressions = ImmutableArray<SelectorRequirement>.Empty;
        foreach (var field in selector.EnumerateObject())
        {
            if (field.NameEquals("matchLabels"u8))
            {
                // Looked up again by name, as a duplicate key reads: the last one counts.
                labels = SortedPairs(selector, "matchLabels"u8, "matchLabels", path);
            }
            else if (field.NameEquals("matchExpressions"u8))
            {
                expressions = Child(field.Value, path, "matchExpressions", static (list, path) => ReadList(list, path, ReadRequirement, static r => r.Text));
            }
            else
            {
                throw path.Error(field.Name, KnownFields.Unknown(field.Name, KnownFields.Selector));
            }
        }

        return labels.IsEmpty && expressions.IsEmpty ? LabelSelector.Everything : new LabelSelector(labels, expressions);
    }

    private static SelectorRequirement ReadRequirement(JsonElement requirement, FieldPath path)
    {
        RequireKind(requirement, JsonValueKind.Object, path);
        string? key = null, op = null;
        var values = ImmutableArray<string>.Empty;
        foreach (var field in requirement.EnumerateObject())
        {
            if (field.NameEquals("key"u8))
            {
                key = Child(field.Value, path, "key", RequireString);
            }
            else if (field.NameEquals("operator"u8))
            {
                op = Child(field.Value, path, "operator", RequireString);
            }
            else if (field.NameEquals("values"u8))
            {
                values = Child(field.Value, path, "values", static (list, path) => ReadSet(list, path, StringSet.Any));
            }
            else
            {
                throw path.Error(field.Name, KnownFields.Unknown(field.Name, KnownFields.Requirement));
            }
        }

        if (string.IsNullOrEmpty(key))
        {
            throw path.Error("key", "required");
        }

        if (path.Strict)
        {
            Check(ObjectNames.QualifiedNameProblem(key), "key", path);
            if (op is "In" or "NotIn")
            {
                for (var i = 0; i < values.Length; i++)
                {
                    path.Push("values");
                    Check(ObjectNames.LabelValueProblem(values[i]), null, path);
                    path.Pop();
                }
            }
        }

        switch (op)
        {
            case "In" or "NotIn" when values.IsEmpty:
                throw path.Error("values", $"must be non-empty for operator {op}");
            case "Exists" or "DoesNotExist" when !values.IsEmpty:
                throw path.Error("values", $"must be empty for operator {op}");
            case "In" or "NotIn" or "Exists" or "DoesNotExist":
                return new SelectorRequirement(key, op, values);
            default:
                throw path.Error("operator", $"unsupported value {Excerpt.Quoted(op)}: must be In, NotIn, Exists or DoesNotExist");
        }
    }

    /// <summary>What the items of a string list must be, and their canonical spelling.</summary>
    private enum StringSet
    {
        Any,
        PolicyType,
        Network,
    }

    private static string Convert(StringSet kind, string value, FieldPath path) => kind switch
    {
        StringSet.PolicyType => value switch
        {
            "Ingress" => "Ingress",
            "Egress" => "Egress",
            _ => throw path.Error(null, $"unsupported value {Excerpt.Quoted(value)}: must be Ingress or Egress"),
        },
        StringSet.Network => Network(value, path),
        _ => value,
    };

    private static string Network(string text, FieldPath path) =>
        Cidr.TryNormalise(text, out var network) ? network : throw path.Error(null, $"invalid CIDR {Excerpt.Quoted(text)}");

    private static ImmutableArray<string> ReadSet(JsonElement list, FieldPath path, StringSet kind) => ReadList(list, path, SetItems[(int)kind], static s => s);

    private static readonly Func<JsonElement, FieldPath, string>[] SetItems =
    [
        static (item, path) => RequireString(item, path),
        static (item, path) => Convert(StringSet.PolicyType, RequireString(item, path), path),
        static (item, path) => Convert(StringSet.Network, RequireString(item, path), path),
    ];

    /// <summary>
    /// A sorted set: duplicates (same canonical key) dropped, the first of them kept, then ordered by key (ordinal).
    /// Sorts <paramref name="items"/> in place and wraps it without copying when nothing was dropped. Each key is
    /// computed once here: the keys of rules and peers are not stored.
    /// </summary>
    private static ImmutableArray<T> Canonical<T>(T[] items, int count, Func<T, string> key)
    {
        if (count < 2)
        {
            return count == items.Length ? ImmutableCollectionsMarshal.AsImmutableArray(items) : [.. items.AsSpan(0, count)];
        }

        var keys = new string[count];
        keys[0] = key(items[0]);
        var kept = 1;
        var seen = count > 16 ? new HashSet<string>(count, StringComparer.Ordinal) { keys[0] } : null;
        for (var i = 1; i < count; i++)
        {
            var candidate = key(items[i]);
            var duplicate = seen is not null ? !seen.Add(candidate) : keys.AsSpan(0, kept).Contains(candidate);
            if (!duplicate)
            {
                keys[kept] = candidate;
                items[kept++] = items[i];
            }
        }

        Array.Sort(keys, items, 0, kept, StringComparer.Ordinal);
        return kept == items.Length ? ImmutableCollectionsMarshal.AsImmutableArray(items) : [.. items.AsSpan(0, kept)];
    }

    /// <summary>matchLabels as sorted pairs: a repeated key keeps its last value, as a map does.</summary>
    private static ImmutableArray<KeyValuePair<string, string>> SortedPairs(JsonElement parent, ReadOnlySpan<byte> property, string propertyName, FieldPath path)
    {
        if (!parent.TryGetProperty(property, out var map) || IsNull(map))
        {
            return [];
        }

        path.Push(propertyName);
        RequireKind(map, JsonValueKind.Object, path);
        var pairs = new KeyValuePair<string, string>[map.GetPropertyCount()];
        var count = 0;
        Dictionary<string, int>? positions = pairs.Length > 16 ? new(pairs.Length, StringComparer.Ordinal) : null;
        foreach (var entry in map.EnumerateObject())
        {
            var key = entry.Name;
            path.Push(key);
            var value = RequireString(entry.Value, path);
            if (path.Strict)
            {
                Check(ObjectNames.QualifiedNameProblem(key) ?? ObjectNames.LabelValueProblem(value), null, path);
            }

            path.Pop();
            var existing = -1;
            if (positions is null)
            {
                for (var i = 0; i < count && existing < 0; i++)
                {
                    existing = string.Equals(pairs[i].Key, key, StringComparison.Ordinal) ? i : -1;
                }
            }
            else if (!positions.TryAdd(key, count))
            {
                existing = positions[key];
            }

            if (existing >= 0)
            {
                pairs[existing] = new(key, value);
            }
            else
            {
                pairs[count++] = new(key, value);
            }
        }

        path.Pop();
        if (count == 0)
        {
            return [];
        }

        if (count < pairs.Length)
        {
            Array.Resize(ref pairs, count);
        }

        Array.Sort(pairs, static (a, b) => string.CompareOrdinal(a.Key, b.Key));
        return ImmutableCollectionsMarshal.AsImmutableArray(pairs);
    }

    private static ImmutableSortedDictionary<string, string> StringMap(JsonElement parent, ReadOnlySpan<byte> property, string propertyName, FieldPath path) =>
        parent.TryGetProperty(property, out var map) && !IsNull(map) ? StringMap(map, propertyName, path) : NoEntries;

    private static ImmutableSortedDictionary<string, string> StringMap(JsonElement map, string propertyName, FieldPath path)
    {
        path.Push(propertyName);
        RequireKind(map, JsonValueKind.Object, path);
        var builder = ImmutableSortedDictionary.CreateBuilder<string, string>(StringComparer.Ordinal);
        foreach (var entry in map.EnumerateObject())
        {
            var key = entry.Name;
            path.Push(key);
            builder[key] = RequireString(entry.Value, path);
            path.Pop();
        }

        path.Pop();
        return builder.Count == 0 ? NoEntries : builder.ToImmutable();
    }

    private static string? OptionalString(JsonElement parent, ReadOnlySpan<byte> property, string propertyName, FieldPath path)
    {
        if (!parent.TryGetProperty(property, out var value) || IsNull(value))
        {
            return null;
        }

        path.Push(propertyName);
        var text = RequireString(value, path);
        path.Pop();
        return text;
    }

    /// <summary>Unknown metadata fields, and the names, label keys and values the API server would refuse.</summary>
    private static void CheckMetadata(
        JsonElement metadata, string name, string ns, ImmutableSortedDictionary<string, string> labels, ImmutableSortedDictionary<string, string> annotations, FieldPath path)
    {
        foreach (var field in metadata.EnumerateObject())
        {
            if (Array.IndexOf(KnownFields.Metadata, field.Name) < 0)
            {
                throw path.Error(field.Name, KnownFields.Unknown(field.Name, KnownFields.Metadata));
            }
        }

        if (name.Length > 0)
        {
            Check(ObjectNames.NameProblem(name), "name", path);
        }

        if (ns.Length > 0)
        {
            Check(ObjectNames.NamespaceProblem(ns), "namespace", path);
        }

        foreach (var (key, value) in labels)
        {
            path.Push("labels");
            Check(ObjectNames.QualifiedNameProblem(key) ?? ObjectNames.LabelValueProblem(value), key, path);
            path.Pop();
        }

        foreach (var key in annotations.Keys)
        {
            path.Push("annotations");
            Check(ObjectNames.QualifiedNameProblem(key), key, path);
            path.Pop();
        }
    }

    private static void Check(string? problem, string? child, FieldPath path)
    {
        if (problem is not null)
        {
            throw path.Error(child, problem);
        }
    }

    /// <summary>A list's length; false for null (an absent list), an error for anything but a list.</summary>
    private static bool IsList(JsonElement list, FieldPath path, out int count)
    {
        count = 0;
        if (IsNull(list))
        {
            return false;
        }

        RequireKind(list, JsonValueKind.Array, path);
        count = list.GetArrayLength();
        return count > 0;
    }

    private static string RequireString(JsonElement value, FieldPath path) =>
        value.ValueKind == JsonValueKind.String
            ? value.GetString()!
            : throw path.Error(null, $"must be a string, not {Describe(value)} (quote it in YAML)");

    private static void RequireKind(JsonElement value, JsonValueKind kind, FieldPath path)
    {
        if (value.ValueKind != kind)
        {
            var expected = kind == JsonValueKind.Array ? "a list" : "a mapping";
            throw path.Error(null, $"must be {expected}, not {Describe(value)}");
        }
    }

    private static bool IsNull(JsonElement value) => value.ValueKind is JsonValueKind.Null or JsonValueKind.Undefined;

    private static string Describe(JsonElement value) => value.ValueKind switch
    {
        JsonValueKind.Object => "a mapping",
        JsonValueKind.Array => "a list",
        JsonValueKind.String => "a string",
        JsonValueKind.Number => $"the number {Excerpt.Of(value.GetRawText(), 40)}",
        JsonValueKind.True or JsonValueKind.False => $"the boolean {value.GetRawText()}",
        _ => "null",
    };

    /// <summary>
    /// The path of the field being read (<c>spec.ingress[0].from[1].ipBlock.cidr</c>) as a stack of
    /// names and indexes; it is rendered only for an error.
    /// </summary>
    /// <param name="strict">Read as <see cref="Read(JsonElement, string?, string, bool, bool)"/>'s strict mode describes.</param>
    private sealed class FieldPath(bool strict)
    {
        // Deep enough for every field of a NetworkPolicy (spec.ingress[0].from[0].podSelector.matchExpressions[0].values[0]).
        private string?[] _names = new string?[12];
        private int[] _indexes = new int[12];
        private int _depth;

        public bool Strict { get; } = strict;

        public void Push(string name)
        {
            Grow();
            _names[_depth++] = name;
        }

        public void Push(int index)
        {
            Grow();
            _names[_depth] = null;
            _indexes[_depth++] = index;
        }

        public void Pop() => _depth--;

        /// <param name="child">A field below the current one, or null for the current one.</param>
        public PolicyFormatException Error(string? child, string problem)
        {
            var text = new StringBuilder();
            var segments = new List<object>(_depth + 1);
            for (var i = 0; i < _depth; i++)
            {
                if (_names[i] is { } name)
                {
                    text.Append(i == 0 ? "" : ".").Append(Excerpt.Of(name));
                    segments.Add(name);
                }
                else
                {
                    text.Append('[').Append(_indexes[i]).Append(']');
                    segments.Add(_indexes[i]);
                }
            }

            if (child is not null)
            {
                text.Append(_depth == 0 ? "" : ".").Append(Excerpt.Of(child));
                segments.Add(child);
            }

            return new PolicyFormatException(text.ToString(), problem) { Segments = segments };
        }

        private void Grow()
        {
            if (_depth == _names.Length)
            {
                Array.Resize(ref _names, _depth * 2);
                Array.Resize(ref _indexes, _depth * 2);
            }
        }
    }
}
