using System.Text;

namespace AdmissionGuard.Git.Sources;

/// <summary>
/// Flux's post-build variable substitution (kustomize-controller's envsubst): <c>${NAME}</c> and
/// <c>${NAME:=default}</c> (also <c>:-</c>, <c>=</c>, <c>-</c>) are replaced, <c>$${NAME}</c> is written as
/// <c>${NAME}</c>, an unset variable without a default becomes empty unless substitution is strict, and
/// <c>$NAME</c> without braces is left alone.
/// </summary>
internal static class Substitution
{
    /// <summary>Objects with this annotation set to <c>disabled</c> are left as they are.</summary>
    public const string DisabledAnnotation = "kustomize.toolkit.fluxcd.io/substitute";

    public static bool IsName(string name) =>
        name.Length > 0 && !char.IsAsciiDigit(name[0]) && name.All(c => char.IsAsciiLetterOrDigit(c) || c == '_');

    /// <param name="missing">Receives each variable that was unset and had no default.</param>
    public static string Apply(string text, IReadOnlyDictionary<string, string> variables, ICollection<string> missing)
    {
        if (!text.Contains("${", StringComparison.Ordinal))
        {
            return text;
        }

        var result = new StringBuilder(text.Length);
        var i = 0;
        while (i < text.Length)
        {
            var dollar = text.IndexOf('$', i);
            if (dollar < 0 || dollar == text.Length - 1)
            {
                result.Append(text, i, text.Length - i);
                break;
            }

            result.Append(text, i, dollar - i);
            if (text[dollar + 1] == '$' && dollar + 2 < text.Length && text[dollar + 2] == '{')
            {
                // $${NAME}: the escape writes ${NAME} and substitutes nothing.
                var close = text.IndexOf('}', dollar + 3);
                var end = close < 0 ? text.Length : close + 1;
                result.Append(text, dollar + 1, end - dollar - 1);
                i = end;
                continue;
            }

            var closing = text[dollar + 1] == '{' ? text.IndexOf('}', dollar + 2) : -1;
            if (closing < 0)
            {
                result.Append('$');
                i = dollar + 1;
                continue;
            }

            var expression = text.AsSpan(dollar + 2, closing - dollar - 2);
            var (name, fallback) = Split(expression);
            if (!IsName(name))
            {
                result.Append(text, dollar, closing - dollar + 1);
            }
            else if (variables.TryGetValue(name, out var value) && (value.Length > 0 || fallback is not { Colon: true }))
            {
                result.Append(value);
            }
            else if (fallback is { } given)
            {
                result.Append(given.Value);
            }
            else
            {
                missing.Add(name);
            }

            i = closing + 1;
        }

        return result.ToString();
    }

    /// <summary>The name, and a default after <c>:=</c>, <c>:-</c>, <c>=</c> or <c>-</c> (with a colon, an empty value also takes it).</summary>
    private static (string Name, (string Value, bool Colon)? Fallback) Split(ReadOnlySpan<char> expression)
    {
        for (var i = 0; i < expression.Length; i++)
        {
            var c = expression[i];
            if (c == ':' && i + 1 < expression.Length && expression[i + 1] is '=' or '-')
            {
                return (expression[..i].ToString(), (expression[(i + 2)..].ToString(), true));
            }

            if (c is '=' or '-')
            {
                return (expression[..i].ToString(), (expression[(i + 1)..].ToString(), false));
            }
        }

        return (expression.ToString(), null);
    }
}
