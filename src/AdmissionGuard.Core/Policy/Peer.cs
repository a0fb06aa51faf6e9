namespace AdmissionGuard.Core.Policy;

/// <summary>
/// One peer of a rule. A peer with a namespaceSelector and no podSelector selects every pod
/// of those namespaces, so it is stored with an empty podSelector: the two spellings compare equal.
/// </summary>
public sealed record Peer(LabelSelector? PodSelector, LabelSelector? NamespaceSelector, IpBlock? IpBlock)
{
    public static Peer Create(LabelSelector? podSelector, LabelSelector? namespaceSelector, IpBlock? ipBlock) =>
        new(namespaceSelector is not null && podSelector is null ? LabelSelector.Everything : podSelector, namespaceSelector, ipBlock);

    /// <summary>
    /// Unambiguous canonical form, used for ordering and equality. Built when asked, not stored: the rule's
    /// and the spec's keys already contain it, and a baseline holds tens of thousands of peers.
    /// </summary>
    public string Key => $"ns[{NamespaceSelector?.Text}]pod[{PodSelector?.Text}]ip[{IpBlock?.Text}]";

    /// <summary>How the peer reads in a message: <c>namespaceSelector team=a podSelector app=web</c>.</summary>
    public string Text => field ??= Render(PodSelector, NamespaceSelector, IpBlock);

    /// <remarks>Equal exactly when the <see cref="Key"/>s are, without making them: selector and block texts hold no brackets.</remarks>
    public bool Equals(Peer? other) =>
        ReferenceEquals(this, other)
        || (other is not null && Equals(PodSelector, other.PodSelector) && Equals(NamespaceSelector, other.NamespaceSelector) && Equals(IpBlock, other.IpBlock));

    public override int GetHashCode() => HashCode.Combine(PodSelector, NamespaceSelector, IpBlock);

    public override string ToString() => Text;

    private static string Render(LabelSelector? pods, LabelSelector? namespaces, IpBlock? block)
    {
        if (block is not null)
        {
            return "ipBlock " + block.Text;
        }

        if (namespaces is null)
        {
            return "podSelector " + (pods ?? LabelSelector.Everything).Describe();
        }

        return pods is null || pods.IsEmpty
            ? "namespaceSelector " + namespaces.Describe()
            : $"namespaceSelector {namespaces.Describe()} podSelector {pods.Describe()}";
    }
}

public sealed record IpBlock(string Cidr, System.Collections.Immutable.ImmutableArray<string> Except)
{
    public string Text { get; } = Except.IsEmpty ? Cidr : $"{Cidr} except {KeyText.Join(Except, ',', static e => e)}";

    public bool Equals(IpBlock? other) => other is not null && Text == other.Text;

    public override int GetHashCode() => Text.GetHashCode(StringComparison.Ordinal);
}
