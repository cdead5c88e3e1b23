using CsCheck;
using Mqtt.Security.Scram;

namespace Mqtt.Security.Tests;

/// <summary>CsCheck generators for names, passwords and hostile messages.</summary>
internal static class ScramGen
{
    /// <summary>Text pieces: plain ASCII, the saslname escapes' own characters, non-ASCII and astral (surrogate pair) characters.</summary>
    private static readonly string[] Pieces =
    [
        "a", "b", "z", "A", "Q", "0", "9", " ", ",", "=", "=2C", "=3D", "$", "+", "#", "/", "%", ")", "-", "_", ".",
        "é", "e\u0301", "ß", "用", "户", "\u2168", "\uFB01", "\u00A0", "😀", "𝄞", "\t",
    ];

    public static readonly Gen<string> Mechanism = Gen.OneOf(ScramMechanism.Sha256.Name, ScramMechanism.Sha512.Name);

    /// <summary>Any well-formed, non-empty user name without NUL, biased towards ',' and '='.</summary>
    public static readonly Gen<string> UserName = Gen.Int[0, Pieces.Length - 1].Array[1, 12].Select(Join);

    /// <summary>Any well-formed password, including the empty one.</summary>
    public static readonly Gen<string> Password = Gen.Int[0, Pieces.Length - 1].Array[0, 16].Select(Join);

    /// <summary>Fragments worth splicing into SCRAM messages.</summary>
    private static readonly Gen<string> Fragment =
        Gen.Frequency(
            (6, Gen.OneOf(",", "=", ",,", "\0", "m=x", ",m=x", "m=x,", ",x=1", "p=", "a=", "a=x", "n=", "r=", "s=", "i=", "c=", "v=", "e=", "=2C", "=3",
                "\uD800", "\uDC00", "é", "😀", " ", "\r\n", "biws", "eSws", "4095", "0", "-1", "99999999999", "==", "AAAA", "+/", "~")),
            (3, Gen.Char["ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/"].Select(static c => c.ToString())),
            (2, Gen.Char['\0', '\u00FF'].Array[1, 6].Select(static chars => new string(chars))));

    private static readonly Gen<(int Kind, int Position, int Length, string Text)> Mutation =
        Gen.Select(Gen.Int[0, 5], Gen.Int[0, 1000], Gen.Frequency((3, Gen.Const(1)), (1, Gen.Int[1, 12])), Fragment);

    /// <summary>One of <paramref name="originals"/> with one to four random edits, or a wholly random string.</summary>
    public static Gen<string> Hostile(params string[] originals)
    {
        Gen<string> mutated = Gen.Select(Gen.Int[0, originals.Length - 1], Mutation.Array[1, 4])
            .Select((index, edits) => Apply(originals[index], edits));
        Gen<string> random = Gen.OneOf(
            Gen.Char['\0', '\u007F'].Array[0, 80].Select(static chars => new string(chars)),
            Gen.String);
        return Gen.Frequency((8, mutated), (2, random));
    }

    private static string Join(int[] indexes)
    {
        var builder = new System.Text.StringBuilder();
        foreach (int index in indexes)
        {
            builder.Append(Pieces[index]);
        }

        return builder.ToString();
    }

    private static string Apply(string message, (int Kind, int Position, int Length, string Text)[] edits)
    {
        foreach ((int kind, int position, int length, string text) in edits)
        {
            int at = message.Length == 0 ? 0 : position % (message.Length + 1);
            int count = Math.Min(length, message.Length - at);
            message = kind switch
            {
                0 => message[..at] + text + message[(at + count)..],               // replace
                1 => message.Insert(at, text),                                        // insert
                2 => message.Remove(at, count),                                       // delete
                3 => message[..at],                                                   // truncate
                4 => message.Insert(at, message.Substring(at, count)),                // duplicate a stretch
                _ => SwapFields(message, position),                                   // reorder attributes
            };
        }

        return message;
    }

    private static string SwapFields(string message, int seed)
    {
        string[] fields = message.Split(',');
        if (fields.Length < 2)
        {
            return message;
        }

        int i = seed % fields.Length;
        int j = (seed / 7 + 1) % fields.Length;
        (fields[i], fields[j]) = (fields[j], fields[i]);
        return string.Join(',', fields);
    }
}
