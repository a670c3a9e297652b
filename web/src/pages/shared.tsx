// Tables that several pages show: conditions and events.
import { CircleAlert, Info } from 'lucide-react';
import { Link } from 'react-router';
import { objectPath, refName } from '../api/client';
import type { Condition, Event } from '../api/types';
import { Ellipsis } from '../components/common';
import { ConditionBadge } from '../components/status';
import { RelTime } from '../components/RelTime';

export function ConditionsTable({ conditions }: { conditions: Condition[] }) {
  if (conditions.length === 0) return <p className="muted">No conditions reported yet.</p>;
  return (
    <table className="table" data-testid="conditions">
      <thead>
        <tr>
          <th>Type</th>
          <th>Status</th>
          <th>Reason</th>
          <th>Message</th>
          <th>Since</th>
        </tr>
      </thead>
      <tbody>
        {conditions.map((c) => (
          <tr key={c.type}>
            <td className="strong">{c.type}</td>
            <td>
              <ConditionBadge condition={c} words={c.status} />
            </td>
            <td>{c.reason}</td>
            <td className="wrap">{c.message}</td>
            <td className="nowrap">
              <RelTime time={c.since} />
            </td>
          </tr>
        ))}
      </tbody>
    </table>
  );
}

export function EventsTable({ events, showObject = true }: { events: Event[]; showObject?: boolean }) {
  if (events.length === 0) return <p className="muted">No recent events.</p>;
  return (
    <table className="table" data-testid="events">
      <thead>
        <tr>
          <th>Type</th>
          <th>Reason</th>
          {showObject && <th>Object</th>}
          <th>Message</th>
          <th className="r">Count</th>
          <th>Last seen</th>
        </tr>
      </thead>
      <tbody>
        {events.map((e, i) => {
          const warn = e.type === 'Warning';
          const path = objectPath(e.object);
          const name = `${e.object.kind} ${refName(e.object)}`;
          return (
            <tr key={i} className={warn ? 'row-warn' : ''}>
              <td className="nowrap">
                {warn ? (
                  <span className="badge tone-warn">
                    <CircleAlert size={14} aria-hidden="true" />
                    Warning
                  </span>
                ) : (
                  <span className="badge tone-muted">
                    <Info size={14} aria-hidden="true" />
                    Normal
                  </span>
                )}
              </td>
              <td className="strong nowrap">{e.reason}</td>
              {showObject && <td className="obj">{path ? <Link to={path}><Ellipsis text={name} /></Link> : <Ellipsis text={name} />}</td>}
              <td className="wrap">{e.message}</td>
              <td className="r num">{e.count || 1}</td>
              <td className="nowrap" title={e.reporter ? `reported by ${e.reporter}` : undefined}>
                <RelTime time={e.last || e.first} />
              </td>
            </tr>
          );
        })}
      </tbody>
    </table>
  );
}
