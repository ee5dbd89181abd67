package dev.spice.api;

/**
 * Function names as the Lambda API accepts them (a name, {@code NAME:QUALIFIER}, a partial ARN
 * {@code ACCOUNT:function:NAME[:QUALIFIER]} or a full ARN
 * {@code arn:aws:lambda:REGION:ACCOUNT:function:NAME[:QUALIFIER]}), and the ARNs this server
 * reports, in a fixed region and account.
 */
final class LambdaArns {
    static final String REGION = "us-east-1";
    static final String ACCOUNT = "000000000000";

    private LambdaArns() {}

    /** The bare function name in any of the accepted forms, without its qualifier. */
    static String functionName(String nameOrArn) {
        String[] parts = nameOrArn.split(":", -1);
        if (parts.length >= 7 && parts[0].equals("arn") && parts[5].equals("function")) {
            return parts[6];
        }
        if (parts.length >= 3 && parts[1].equals("function")) {
            return parts[2];
        }
        return parts[0];
    }

    /** The qualifier in any of the accepted forms (NAME:Q, ACCOUNT:function:NAME:Q, an ARN ending :Q), or null. */
    static String qualifier(String nameOrArn) {
        String[] parts = nameOrArn.split(":", -1);
        int at = parts.length >= 7 && parts[0].equals("arn") && parts[5].equals("function") ? 7
                : parts.length >= 3 && parts[1].equals("function") ? 3 : 1;
        return parts.length > at && !parts[at].isEmpty() ? parts[at] : null;
    }

    static String function(String name) {
        return "arn:aws:lambda:" + REGION + ":" + ACCOUNT + ":function:" + name;
    }
}
