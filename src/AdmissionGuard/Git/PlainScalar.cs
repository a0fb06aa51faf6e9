using System.Globalization;
using System.Text.Json;

namespace AdmissionGuard.Git;

/// <summary>
/// A plain (unquoted, untagged) YAML scalar written as the JSON type kubectl's YAML reader (go-yaml v2, YAML 1.1) gives it:
/// 80 a number, yes/no booleans, ~ and the empty value null, anything else a string.
/// </summary>
internal static class PlainScalar
{
    private static readonly HashSet<string>.AlternateLookup<ReadOnlySpan<char>> Nulls =
        new HashSet<string>(["", "~", "null", "Null", "NULL"], StringComparer.Ordinal).GetAlternateLookup<ReadOnlySpan<char>>();

    private static readonly HashSet<string>.AlternateLookup<ReadOnlySpan<char>> Trues =
        new HashSet<string>(["true", "True", "TRUE", "y", "Y", "yes", "Yes", "YES", "on", "On", "ON"], StringComparer.Ordinal).GetAlternateLookup<ReadOnlySpan<char>>();

    private static readonly HashSet<string>.AlternateLookup<ReadOnlySpan<char>> Falses =
        new HashSet<string>(["false", "False", "FALSE", "n", "N", "no", "No", "NO", "off", "Off", "OFF"], StringComparer.Ordinal).GetAlternateLookup<ReadOnlySpan<char>>();

    /// <summary>The first characters of the null and boolean words, all of them five characters or fewer.</summary>
    private static readonly System.Buffers.SearchValues<char> WordStarts = System.Buffers.SearchValues.Create("~nNtTyYoOfF");

    public static void Write(Utf8JsonWriter writer, ReadOnlySpan<char> value)
    {
        // Most scalars are names and numbers that no null or boolean word starts like: they skip three lookups that each hash the text.
        if (value.Length > 5 || (value.Length > 0 && !WordStarts.Contains(value[0])))
        {
            WriteNumberOrString(writer, value);
        }
        else if (Nulls.Contains(value))
        {
            writer.WriteNullValue();
        }
        else if (Trues.Contains(value))
        {
            writer.WriteBooleanValue(true);
        }
        else if (Falses.Contains(value))
        {
            writer.WriteBooleanValue(false);
        }
        else
        {
            WriteNumberOrString(writer, value);
        }
    }

    private static void WriteNumberOrString(Utf8JsonWriter writer, ReadOnlySpan<char> value)
    {
        if (TryParseInteger(value, out var integer))
        {
            writer.WriteNumberValue(integer);
        }
        else if (LooksNumeric(value) && double.TryParse(value, NumberStyles.Float, CultureInfo.InvariantCulture, out var real) && double.IsFinite(real))
        {
            writer.WriteNumberValue(real);
        }
        else
        {
            writer.WriteStringValue(value);
        }
    }

    /// <summary>
    /// An integer as go-yaml v2 resolves it (Go's strconv.ParseInt with base 0, after dropping '_'):
    /// optional sign, then 0x hexadecimal, 0o or leading-0 octal, 0b binary, or decimal. So 0443 is 291, as kubectl reads it.
    /// </summary>
    private static bool TryParseInteger(ReadOnlySpan<char> text, out long value)
    {
        value = 0;
        ReadOnlySpan<char> digits = text.Contains('_') ? text.ToString().Replace("_", "", StringComparison.Ordinal) : text;
        var negative = digits.StartsWith('-');
        if (digits.Length > 0 && digits[0] is '+' or '-')
        {
            digits = digits[1..];
        }

        var radix = 10;
        if (digits.Length > 1 && digits[0] == '0')
        {
            (radix, var prefix) = digits[1] switch { 'x' or 'X' => (16, 2), 'o' or 'O' => (8, 2), 'b' or 'B' => (2, 2), _ => (8, 1) };
            digits = digits[prefix..];
        }

        if (digits.Length == 0)
        {
            return false;
        }

        ulong magnitude = 0;
        foreach (var c in digits)
        {
            var digit = char.IsAsciiDigit(c) ? c - '0' : char.IsAsciiLetter(c) ? char.ToLowerInvariant(c) - 'a' + 10 : radix;
            if (digit >= radix || magnitude > (ulong.MaxValue - (ulong)digit) / (ulong)radix)
            {
                return false;
            }

            magnitude = (magnitude * (ulong)radix) + (ulong)digit;
        }

        if (magnitude > (negative ? (ulong)long.MaxValue + 1 : long.MaxValue))
        {
            return false;
        }

        value = negative ? (long)(0 - magnitude) : (long)magnitude;
        return true;
    }

    private static bool LooksNumeric(ReadOnlySpan<char> value)
    {
        var anyDigit = false;
        foreach (var c in value)
        {
            if (!(char.IsAsciiDigit(c) || c is '.' or '-' or '+' or 'e' or 'E'))
            {
                return false;
            }

            anyDigit |= char.IsAsciiDigit(c);
        }

        return anyDigit;
    }
}
