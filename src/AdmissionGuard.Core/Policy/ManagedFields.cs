using System.Collections.Concurrent;
using System.Collections.Immutable;
using System.Text.Json;

namespace AdmissionGuard.Core.Policy;

/// <summary>
/// Reads a live NetworkPolicy's <c>metadata.managedFields</c> (as the API server serves them, or as
/// <c>kubectl get --show-managed-fields</c> saves them) into <see cref="ManagedFieldsEntry"/>s.
/// </summary>
/// <remarks>
/// The drift scanner keeps one summary per live policy, thousands of them: manager names and metadata
/// keys repeat across the cluster, so they are interned, and an entry keeps only the fields drift can name.
/// Anything unexpected in an entry leaves that entry out rather than failing the policy: this is
/// provenance, not what decides drift.
/// </remarks>
public static class ManagedFields
{
    /// <summary>Distinct owned-field sets kept to be shared: far more than a cluster's managers and GitOps tools make.</summary>
    public const int SharedOwnedLimit = 4096;

    /// <summary>
    /// What a manager owns repeats across the cluster (a GitOps tool owns the same fields of every policy it applies): one
    /// instance of each set, instead of one per policy and manager (100,000 at 50,000 policies, about 9 MB).
    /// </summary>
    private static readonly ConcurrentDictionary<PolicyFields, PolicyFields> SharedOwned = new(OwnedComparer.Instance);
    private static int _sharedOwnedCount;

    /// <summary>The entries of <paramref name="policy"/> (the whole object), in the order the API server lists them.</summary>
    public static ImmutableArray<ManagedFieldsEntry> Read(JsonElement policy)
    {
        if (policy.ValueKind != JsonValueKind.Object
            || !policy.TryGetProperty("metadata"u8, out var metadata) || metadata.ValueKind != JsonValueKind.Object
            || !metadata.TryGetProperty("managedFields"u8, out var entries) || entries.ValueKind != JsonValueKind.Array)
        {
            return [];
        }

        var result = ImmutableArray.CreateBuilder<ManagedFieldsEntry>(entries.GetArrayLength());
        foreach (var entry in entries.EnumerateArray())
        {
            try
            {
                if (Entry(entry) is { } read)
                {
                    result.Add(read);
                }
            }
            catch (InvalidOperationException)
            {
                // A string that is not valid Unicode: JSON elements are decoded only when read.
            }
        }

        return result.DrainToImmutable();
    }

    private static ManagedFieldsEntry? Entry(JsonElement entry)
    {
        if (entry.ValueKind != JsonValueKind.Object
            || String(entry, "manager"u8) is not { Length: > 0 } manager
            || Operation(String(entry, "operation"u8)) is not { } operation)
        {
            return null;
        }

        DateTimeOffset? time = Decisions.BreakGlass.TryParseTime(String(entry, "time"u8), out var parsed) ? parsed : null;
        var owned = entry.TryGetProperty("fieldsV1"u8, out var fields) ? Owned(fields) : PolicyFields.None;
        return new ManagedFieldsEntry(string.Intern(manager), operation, time, owned);
    }

    /// <summary>
    /// What a <c>fieldsV1</c> tree owns: <c>f:spec</c>'s top-level fields, and the keys under <c>f:metadata</c>'s
    /// <c>f:labels</c> and <c>f:annotations</c>. A map owned only as a whole (<c>"."</c>, or the empty
    /// <c>f:annotations: {}</c> that kubectl's first server-side apply leaves to the client-side-apply manager)
    /// owns no key.
    /// </summary>
    private static PolicyFields Owned(JsonElement fields)
    {
        if (fields.ValueKind != JsonValueKind.Object)
        {
            return PolicyFields.None;
        }

        var spec = SpecFields.None;
        if (fields.TryGetProperty("f:spec"u8, out var specFields) && specFields.ValueKind == JsonValueKind.Object)
        {
            foreach (var field in specFields.EnumerateObject())
            {
                spec |= field.Name switch
                {
                    "f:podSelector" => SpecFields.PodSelector,
                    "f:policyTypes" => SpecFields.PolicyTypes,
                    "f:ingress" => SpecFields.Ingress,
                    "f:egress" => SpecFields.Egress,
                    _ => SpecFields.None,
                };
            }
        }

        ImmutableArray<string> labels = [], annotations = [];
        if (fields.TryGetProperty("f:metadata"u8, out var metadata) && metadata.ValueKind == JsonValueKind.Object)
        {
            labels = Keys(metadata, "f:labels"u8);
            annotations = Keys(metadata, "f:annotations"u8);
        }

        return spec == SpecFields.None && labels.IsEmpty && annotations.IsEmpty ? PolicyFields.None : Shared(new PolicyFields(spec, labels, annotations));
    }

    private static PolicyFields Shared(PolicyFields owned)
    {
        if (SharedOwned.TryGetValue(owned, out var shared))
        {
            return shared;
        }

        // A cluster of hostile managers cannot grow the table without bound: past the limit, sets are simply not shared.
        if (Volatile.Read(ref _sharedOwnedCount) >= SharedOwnedLimit)
        {
            return owned;
        }

        if (SharedOwned.TryAdd(owned, owned))
        {
            Interlocked.Increment(ref _sharedOwnedCount);
            return owned;
        }

        return SharedOwned.TryGetValue(owned, out shared) ? shared : owned;
    }

    private static ImmutableArray<string> Keys(JsonElement metadata, ReadOnlySpan<byte> map)
    {
        if (!metadata.TryGetProperty(map, out var owned) || owned.ValueKind != JsonValueKind.Object)
        {
            return [];
        }

        var keys = ImmutableArray.CreateBuilder<string>();
        foreach (var field in owned.EnumerateObject())
        {
            if (field.Name.StartsWith("f:", StringComparison.Ordinal))
            {
                keys.Add(string.Intern(field.Name[2..]));
            }
        }

        return keys.DrainToImmutable();
    }

    private static ManagedFieldsOperation? Operation(string? operation) => operation switch
    {
        "Update" => ManagedFieldsOperation.Update,
        "Apply" => ManagedFieldsOperation.Apply,
        _ => null,
    };

    private static string? String(JsonElement entry, ReadOnlySpan<byte> property) =>
        entry.TryGetProperty(property, out var value) && value.ValueKind == JsonValueKind.String ? value.GetString() : null;

    /// <summary>Owned-field sets compared by their contents, in order (a record compares its key lists by reference).</summary>
    private sealed class OwnedComparer : IEqualityComparer<PolicyFields>
    {
        public static readonly OwnedComparer Instance = new();

        public bool Equals(PolicyFields? x, PolicyFields? y) =>
            ReferenceEquals(x, y)
            || (x is not null && y is not null && x.Spec == y.Spec
                && x.Labels.AsSpan().SequenceEqual(y.Labels.AsSpan()) && x.Annotations.AsSpan().SequenceEqual(y.Annotations.AsSpan()));

        public int GetHashCode(PolicyFields fields)
        {
            var hash = new HashCode();
            hash.Add(fields.Spec);
            foreach (var key in fields.Labels.AsSpan())
            {
                hash.Add(key, StringComparer.Ordinal);
            }

            hash.Add(fields.Labels.AsSpan().Length);
            foreach (var key in fields.Annotations.AsSpan())
            {
                hash.Add(key, StringComparer.Ordinal);
            }

            return hash.ToHashCode();
        }
    }
}
