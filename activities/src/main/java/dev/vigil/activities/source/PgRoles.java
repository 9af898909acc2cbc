package dev.vigil.activities.source;

import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.util.ArrayList;
import java.util.List;

/**
 * The roles of a PostgreSQL cluster and who is a member of whom, as a backup records them so that a
 * restore into another cluster can recreate them before pg_restore replays GRANTs to them. Read
 * from {@code pg_roles} and {@code pg_auth_members}, which every user may read: no password or
 * password hash is ever part of it, and the backup user needs no superuser right (unlike {@code
 * pg_dumpall --roles-only}, which reads {@code pg_authid} unless told not to). PostgreSQL's own
 * {@code pg_*} roles are left out as roles (every cluster has them) but kept as memberships.
 *
 * @param roles every role but the predefined {@code pg_*} ones, by name
 * @param memberships {@code GRANT role TO member} pairs whose member is such a role
 */
public record PgRoles(List<Role> roles, List<Membership> memberships) {
  /** No roles: a backup taken before Vigil recorded them. */
  public static final PgRoles NONE = new PgRoles(List.of(), List.of());

  private static final String ROLES =
      """
      SELECT rolname, rolcanlogin, rolinherit, rolcreatedb, rolcreaterole, rolconnlimit
        FROM pg_roles
       WHERE rolname !~ '^pg_'
       ORDER BY rolname
      """;

  private static final String MEMBERSHIPS =
      """
      SELECT granted.rolname, member.rolname, m.admin_option
        FROM pg_auth_members m
        JOIN pg_roles granted ON granted.oid = m.roleid
        JOIN pg_roles member ON member.oid = m.member
       WHERE member.rolname !~ '^pg_'
       ORDER BY 1, 2
      """;

  public PgRoles {
    roles = roles == null ? List.of() : List.copyOf(roles);
    memberships = memberships == null ? List.of() : List.copyOf(memberships);
  }

  /**
   * A role's attributes that a restore recreates. SUPERUSER, REPLICATION and BYPASSRLS are not
   * recorded: a restore never hands them out.
   *
   * @param connectionLimit -1 for none
   */
  public record Role(
      String name,
      boolean login,
      boolean inherit,
      boolean createDb,
      boolean createRole,
      int connectionLimit) {}

  /** {@code member} is a member of {@code role}; {@code admin}: WITH ADMIN OPTION. */
  public record Membership(String role, String member, boolean admin) {}

  /** The cluster's roles, read on {@code statement}'s connection. */
  public static PgRoles read(Statement statement) throws SQLException {
    List<Role> roles = new ArrayList<>();
    try (ResultSet rows = statement.executeQuery(ROLES)) {
      while (rows.next()) {
        roles.add(
            new Role(
                rows.getString(1),
                rows.getBoolean(2),
                rows.getBoolean(3),
                rows.getBoolean(4),
                rows.getBoolean(5),
                rows.getInt(6)));
      }
    }
    List<Membership> memberships = new ArrayList<>();
    try (ResultSet rows = statement.executeQuery(MEMBERSHIPS)) {
      while (rows.next()) {
        memberships.add(new Membership(rows.getString(1), rows.getString(2), rows.getBoolean(3)));
      }
    }
    return new PgRoles(roles, memberships);
  }
}
